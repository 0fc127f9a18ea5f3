/** Owned attribute groups → value; `null` means "no value in this group". Keys are configured group names. */
export type AttributeValues = Record<string, string | null>;
/** Owned `users.update` properties → value; `null` unsets. */
export type PropertyValues = Record<string, string | null>;

export function sameValues(
  a: Record<string, string | null>,
  b: Record<string, string | null>,
): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? null) !== (b[key] ?? null)) return false;
  return true;
}

/** Restricts `values` to `keys` (in that order), filling absent keys with null. */
export function pickValues(
  values: Record<string, string | null>,
  keys: readonly string[],
): Record<string, string | null> {
  return Object.fromEntries(keys.map((key) => [key, values[key] ?? null]));
}

export function isEmpty(values: Record<string, string | null>): boolean {
  return Object.values(values).every((value) => value === null);
}
