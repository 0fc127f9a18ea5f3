/** A process that uses the account's DX budget, as the store keeps it (epoch milliseconds). */
export interface BudgetMember {
  holder: string;
  /** When it may send from: a newcomer beside others waits until they have made room. */
  activeFrom: number;
  /** When it last looked at the others (it looks before every request it sends). */
  seenAt: number;
  /** When it left (its last requests still count until they have left DX's windows), or null. */
  leftAt: number | null;
}

/** How long members stay counted and newcomers wait (see `SharedBudget`, which sets them). */
export interface BudgetTerms {
  /** A member not seen for this long has gone: its last request has left every window. */
  activeMs: number;
  /** A newcomer beside others sends this long after joining: once they keep to their shares. */
  joinDelayMs: number;
}

/** What a member learns when it looks: how many share the budget, and when it may send. */
export interface Membership {
  members: number;
  activeFrom: number;
}

/**
 * `holder` looks at the budget's members at `now` (and so is seen): the members not seen within
 * `activeMs` (of their last look, or of their start when later) have gone; a holder not among
 * the others joins, at once when no other is still sending, else after `joinDelayMs`. Every
 * store keeps its members by this rule, inside one transaction.
 */
export function lookAtMembers(
  current: readonly BudgetMember[],
  holder: string,
  now: number,
  terms: BudgetTerms,
): { gone: string[]; self: BudgetMember; membership: Membership } {
  // A newcomer waiting to send does not look meanwhile: it is gone only once unseen for as long
  // after its start. One that left goes that long after leaving.
  const alive = current.filter(
    (m) => (m.leftAt ?? Math.max(m.seenAt, m.activeFrom)) > now - terms.activeMs,
  );
  const gone = current.filter((m) => !alive.includes(m)).map((m) => m.holder);
  const others = alive.filter((m) => m.holder !== holder);
  const mine = alive.find((m) => m.holder === holder && m.leftAt === null);
  // Only members still sending must make room first; those that left are counted (their last
  // requests are in DX's windows) but send nothing more.
  const sending = others.some((m) => m.leftAt === null);
  const activeFrom = mine?.activeFrom ?? (sending ? now + terms.joinDelayMs : now);
  return {
    gone,
    self: { holder, activeFrom, seenAt: now, leftAt: null },
    membership: { members: others.length + 1, activeFrom },
  };
}
