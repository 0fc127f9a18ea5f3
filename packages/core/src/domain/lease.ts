/** The lease row as a store keeps it; an empty holder is a lease released. */
export interface LeaseRow {
  holder: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Whether `holder` may take the one-run-at-a-time lease now: it is free (never taken, or
 * released), already this holder's, past its expiry, or held by a holder that `isDead` says
 * has died. Every store takes the lease by this rule, inside its own transaction.
 */
export function mayTakeLease(
  current: LeaseRow | null,
  holder: string,
  now: number,
  isDead: (holder: string) => boolean,
): boolean {
  if (current === null || current.holder === "" || current.holder === holder) return true;
  if (current.expiresAt <= now) return true;
  return isDead(current.holder);
}
