import { CoderDxError } from "../errors";

/** A page of rows, newest first, and the cursor for the next (older) page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A row id as the API and the CLI show it: a positive decimal integer. */
const ID = /^[1-9][0-9]{0,15}$/;

/** The id a run or audit row is known by, or null when `id` cannot be one (so: not found). */
export function parseRowId(id: string): number | null {
  if (!ID.test(id)) return null;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : null;
}

/** The message every transport shows for a cursor it did not give out. */
export function cursorProblem(cursor: string): string {
  return `cursor "${cursor.length > 40 ? `${cursor.slice(0, 40)}…` : cursor}" is not one coder-dx gave out (pass the nextCursor of the previous page)`;
}

/** Whether `cursor` has the shape of one a page gave out (the id of its last row). */
export function isCursor(cursor: string): boolean {
  return parseRowId(cursor) !== null;
}

/**
 * A page's cursor is the id of its last row; the next page holds the rows with smaller ids.
 * Every store reads it here, so a malformed cursor gets the same answer from each of them:
 * `usage_invalid` (a 400 from the API, exit 2 from the CLI), never an empty page.
 */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = parseRowId(cursor);
  if (id === null) throw new CoderDxError("usage_invalid", cursorProblem(cursor));
  return id;
}

/** A page from up to `limit + 1` rows read from `offset` on: the cursor is the next offset. */
export function offsetPageOf<T>(rows: readonly T[], offset: number, limit: number): Page<T> {
  return {
    items: rows.slice(0, limit),
    nextCursor: rows.length > limit ? String(offset + limit) : null,
  };
}

/** What a people search matches: part of an email or a username, any case. */
export function matchesSearch(
  person: { email: string; username: string | null },
  search: string | undefined,
): boolean {
  if (search === undefined || search.trim() === "") return true;
  const part = search.trim().toLowerCase();
  return person.email.includes(part) || (person.username ?? "").toLowerCase().includes(part);
}

/**
 * A page from up to `limit + 1` rows read newest first: the extra row only says there is more.
 */
export function pageOf<T extends { id: string }>(rows: readonly T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
