/** One step of a person's attribute history: what they came to hold at `at`. */
export interface HeldValues {
  at: string;
  email: string;
  after: Record<string, string | null>;
}

/** Two histories, each oldest first, as one (ties: `first`'s entry before `second`'s). */
export function* mergeOldestFirst(
  first: Iterable<HeldValues>,
  second: Iterable<HeldValues>,
): Generator<HeldValues> {
  const a = first[Symbol.iterator]();
  const b = second[Symbol.iterator]();
  try {
    let x = a.next();
    let y = b.next();
    while (!x.done || !y.done) {
      if (y.done || (!x.done && x.value.at <= y.value.at)) {
        yield x.value as HeldValues;
        x = a.next();
      } else {
        yield y.value;
        y = b.next();
      }
    }
  } finally {
    // A reader that stops early closes both sources (an open SQLite cursor holds the connection).
    a.return?.();
    b.return?.();
  }
}

/**
 * Everyone's values just before `before`, as baseline steps at `before`: what a prune keeps
 * of the history it deletes, so the report stays exact for every date from `before` on.
 */
export function baselineBefore(history: Iterable<HeldValues>, before: string): HeldValues[] {
  const held = new Map<string, Record<string, string | null>>();
  for (const step of history) {
    if (step.at >= before) break;
    held.set(step.email, { ...held.get(step.email), ...step.after });
  }
  return [...held].map(([email, after]) => ({ at: before, email, after }));
}
