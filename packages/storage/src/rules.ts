import {
  type ChangeQuery,
  type EventQuery,
  type PeopleQuery,
  parseCursor,
  RUNS_PRUNE_KEEPS,
  type RunFilter,
} from "@coder-dx/core";

/**
 * Core's rules about the record, as SQL both stores run. The text is the same on SQLite and on
 * Postgres (a boolean column reads as a truth value on both: SQLite keeps 0/1), so a rule is
 * written once, in core, and rendered once, here.
 */

/** A run filter (core's `RunFilter`) as a condition over `runs`. Its values are constants. */
export function runWhere(filter: RunFilter): string {
  const conditions: string[] = [];
  const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");
  if (filter.statuses) conditions.push(`status IN (${list(filter.statuses)})`);
  if (filter.triggers) conditions.push(`"trigger" IN (${list(filter.triggers)})`);
  if (filter.dryRun !== undefined) conditions.push(filter.dryRun ? "dry_run" : "NOT dry_run");
  if (filter.scoped !== undefined) conditions.push(filter.scoped ? "scoped" : "NOT scoped");
  if (filter.finished !== undefined)
    conditions.push(filter.finished ? "finished_at IS NOT NULL" : "finished_at IS NULL");
  return conditions.length > 0 ? conditions.join(" AND ") : "TRUE";
}

/** The newest run a filter matches, as `SELECT … FROM runs WHERE … ORDER BY id DESC LIMIT 1`. */
export function newestRun(filter: RunFilter, columns = "*"): string {
  return `SELECT ${columns} FROM runs WHERE ${runWhere(filter)} ORDER BY id DESC LIMIT 1`;
}

/**
 * The runs a prune removes, given the cut as parameter `cut`: finished before it, with no audit
 * rows left, and not the newest of any run the brakes and the metrics read.
 */
export function prunableRuns(cut: string): string {
  const kept = RUNS_PRUNE_KEEPS.map(
    (filter) => `SELECT coalesce(max(id), 0) FROM runs WHERE ${runWhere(filter)}`,
  ).join(" UNION ");
  return `finished_at IS NOT NULL AND finished_at < ${cut}
    AND CAST(id AS TEXT) NOT IN (SELECT DISTINCT run_id FROM changes)
    AND id NOT IN (${kept})`;
}

/** Audit rows a prune may remove: a pending intent waits for a read-back to settle it. */
export const PRUNABLE_CHANGE = "outcome <> 'pending'";

/** Notifications a prune may remove: a waiting one still has a run to lead to. */
export const PRUNABLE_NOTIFICATION = "outcome <> 'waiting'";

/** Events a prune may remove: a pending one is still to be sent. */
export const PRUNABLE_EVENT = "outcome <> 'pending'";

/** Outcomes of an event that may have reached DX: the transition rule reads these. */
export const MAY_HAVE_REACHED_DX = "outcome IN ('pending', 'sent', 'unknown')";

/** How a dialect writes the n-th (1-based) parameter: `?` on SQLite, `$n` on Postgres. */
export type Placeholder = (n: number) => string;

/**
 * A page query's conditions (`[column, value]`, undefined values skipped) with the time range
 * on `timeColumn` and the cursor (read by core's one parser), as a WHERE clause and its
 * parameters for either dialect.
 */
function pageFilter(
  equal: [column: string, value: string | undefined][],
  range: { column: string; since: string | undefined; until: string | undefined },
  cursor: string | undefined,
  placeholder: Placeholder,
): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    params.push(value);
    conditions.push(`${condition} ${placeholder(params.length)}`);
  };
  for (const [column, value] of equal) if (value !== undefined) add(`${column} =`, value);
  if (range.since !== undefined) add(`${range.column} >=`, range.since);
  if (range.until !== undefined) add(`${range.column} <`, range.until);
  const before = parseCursor(cursor);
  if (before !== undefined) add("id <", before);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/** The audit query's filter (email, run, outcome, time range, cursor), either dialect. */
export function changeFilter(
  query: ChangeQuery,
  placeholder: Placeholder,
): { where: string; params: unknown[] } {
  return pageFilter(
    [
      ["email", query.email?.trim().toLowerCase()],
      ["run_id", query.runId],
      ["outcome", query.outcome],
    ],
    { column: "at", since: query.since, until: query.until },
    query.cursor,
    placeholder,
  );
}

/** `%` and `_` as letters in a LIKE pattern (with `ESCAPE '\\'`). */
const likeLetters = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The people query's filter: part of an email or a username (any case), and one group's
 * value; `groupValue(n)` is how the dialect reads the group named by parameter n from the
 * attributes. Ordered by email, paged by offset.
 */
export function peopleQuery(
  query: PeopleQuery,
  placeholder: Placeholder,
  groupValue: (n: number) => string,
  groupParam: (group: string) => string,
): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const next = (value: unknown) => {
    params.push(value);
    return params.length;
  };
  const search = query.search?.trim().toLowerCase();
  if (search) {
    const pattern = `%${likeLetters(search)}%`;
    conditions.push(
      `(email LIKE ${placeholder(next(pattern))} ESCAPE '\\' OR lower(coalesce(username, '')) LIKE ${placeholder(next(pattern))} ESCAPE '\\')`,
    );
  }
  if (query.group !== undefined) {
    const group = next(groupParam(query.group));
    conditions.push(`${groupValue(group)} = ${placeholder(next(query.value ?? ""))}`);
  }
  const offset = parseCursor(query.cursor) ?? 0;
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return {
    sql: `SELECT * FROM user_state ${where} ORDER BY email LIMIT ${placeholder(next(query.limit + 1))} OFFSET ${placeholder(next(offset))}`,
    params,
  };
}

/** The outbox by name and outcome, either dialect. */
export const EVENT_COUNTS =
  "SELECT name, outcome, COUNT(*) AS count FROM events GROUP BY name, outcome ORDER BY name, outcome";

/** The events query's filter (name, email, outcome, time range, cursor), either dialect. */
export function eventFilter(
  query: EventQuery,
  placeholder: Placeholder,
): { where: string; params: unknown[] } {
  return pageFilter(
    [
      ["name", query.name],
      ["email", query.email?.trim().toLowerCase()],
      ["outcome", query.outcome],
    ],
    { column: "recorded_at", since: query.since, until: query.until },
    query.cursor,
    placeholder,
  );
}
