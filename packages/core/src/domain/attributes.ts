/** Owned attribute groups → value; `null` means "no value in this group". Keys are configured group names. */
export type AttributeValues = Record<string, string | null>;
/** Owned `users.update` properties → value; `null` unsets. */
export type PropertyValues = Record<string, string | null>;

export function sameValues(
  a: Record<string, string | null>,
  b: Record<string, string | null>,
): boolean {
  // Two passes, no key set: planning compares 100,000 people's values several times each.
  for (const key in a) if ((a[key] ?? null) !== (b[key] ?? null)) return false;
  for (const key in b) if (!(key in a) && (b[key] ?? null) !== null) return false;
  return true;
}

/** Restricts `values` to `keys` (in that order), filling absent keys with null. */
export function pickValues(
  values: Record<string, string | null>,
  keys: readonly string[],
): Record<string, string | null> {
  const picked: Record<string, string | null> = {};
  for (const key of keys) picked[key] = values[key] ?? null;
  return picked;
}

export function isEmpty(values: Record<string, string | null>): boolean {
  return Object.values(values).every((value) => value === null);
}
