import { parseTime } from "../domain/time";
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
