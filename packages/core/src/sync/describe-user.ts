import type { Config } from "../config/schema";
import { humanTime, parseTime } from "../domain/time";
import type { Evidence } from "../domain/mapping";
import type { ChangeRow, SyncStore } from "../ports";

export interface UserReport {
  user: {
    email: string;
    coderUserId: string | null;
    attributes: Record<string, string | null>;
    updatedAt: string | null;
  };
  history: ChangeRow[];
}

/**
 * A person's state as coder-dx last saw DX confirm it, and their audit rows; with `at`, the
 * state at that instant and the rows up to it. Null when coder-dx has no record of them.
 */
export function describeUser(
  store: SyncStore,
  rawEmail: string,
  rawAt?: string,
): UserReport | null {
  const email = rawEmail.trim().toLowerCase();
  const history = store.listChanges({ email, limit: 1000 }).items;
  const current = store.getUserState(email);
  if (!current && history.length === 0) return null;
  const coderUserId =
    current?.coderUserId ?? history.find((row) => row.coderUserId)?.coderUserId ?? null;
  const at = rawAt === undefined ? null : parseTime(rawAt, "at");
  if (at) {
    // Attributes from the whole history: values adopted as DX held them count too. The last
    // confirmation is the newest of those steps and of the properties DX confirmed.
    let attributes: Record<string, string | null> = {};
    let updatedAt: string | null = null;
    for (const step of store.attributeHistory(at, email)) {
      attributes = { ...attributes, ...step.after };
      if (updatedAt === null || step.at > updatedAt) updatedAt = step.at;
    }
    for (const row of history) {
      if (row.outcome === "applied" && row.at <= at && (updatedAt === null || row.at > updatedAt))
        updatedAt = row.at;
    }
    return {
      user: { email, coderUserId, attributes, updatedAt },
      history: history.filter((r) => r.at <= at),
    };
  }
  return {
    user: {
      email,
      coderUserId,
      attributes: current?.attributes ?? {},
      updatedAt: current?.updatedAt ?? null,
    },
    history,
  };
}

/** `Moderate: 22.5 h on 9 days in the 28 days to 2026-11-22` (and any level held). */
export function describeEvidence(
  after: Record<string, string | null>,
  evidence: Evidence,
  usageGroups: readonly string[],
): string {
  const values = usageGroups.map((g) => after[g]).filter((v) => v !== null && v !== undefined);
  const days =
    evidence.activeDays === null
      ? ""
      : ` on ${evidence.activeDays} days (${evidence.activeWeeks} weeks)`;
  const window = evidence.window
    ? ` in the ${evidence.window.days} days to ${evidence.window.end.slice(0, 10)}`
    : "";
  const held = (evidence.held ?? []).map(
    (h) => `; ${h.group} held at ${h.value} until ${h.until.slice(0, 10)} (computed ${h.computed})`,
  );
  const templates =
    evidence.templates && evidence.templates.length > 0
      ? `; most hours in ${evidence.templates.map((t) => `${t.template} (${t.hours} h)`).join(", ")}`
      : "";
  return `${values.join(", ")}: ${evidence.hours} h${days}${window}${held.join("")}${templates}`;
}

/**
 * Why a person holds what they hold, in a line: a former or suspended person since when (the
 * write DX confirmed), anyone else by the usage evidence of their newest write. Null when the
 * record says nothing more.
 */
export function explainPerson(report: UserReport, config: Config): string | null {
  const { status, usage, frequency } = config.groups;
  const held = report.user.attributes[status.name];
  const confirmed = report.history.filter((row) => row.outcome === "applied");
  if (held === status.values.former || held === status.values.suspended) {
    const since = confirmed.find((row) => row.after?.[status.name] === held);
    const what =
      held === status.values.former
        ? "no longer in Coder (deleted, or removed from its listing)"
        : "suspended in Coder";
    return `${held}: ${what}${since ? ` since ${humanTime(since.at)} (run ${since.runId})` : ""}`;
  }
  const latest = report.history.find((row) => row.evidence && row.after);
  if (!latest?.evidence || !latest.after) return null;
  return describeEvidence(latest.after, latest.evidence, [
    usage.name,
    ...(frequency ? [frequency.name] : []),
  ]);
}
