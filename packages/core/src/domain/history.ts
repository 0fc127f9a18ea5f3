import type { ChangeRow } from "../ports";

export interface PointInTimeState {
  attributes: Record<string, string | null>;
  properties: Record<string, string | null>;
  updatedAt: string | null;
}

/**
 * What DX held for one person at `at`, as far as coder-dx knows: its applied writes up to
 * that instant, folded oldest first. `history` is the person's rows in any order.
 */
export function stateAt(history: readonly ChangeRow[], at: string): PointInTimeState {
  const applied = history
    .filter((row) => row.outcome === "applied" && row.at <= at)
    .sort((a, b) => Number(a.id) - Number(b.id));
  const state: PointInTimeState = { attributes: {}, properties: {}, updatedAt: null };
  for (const row of applied) {
    Object.assign(row.kind === "attributes" ? state.attributes : state.properties, row.after ?? {});
    state.updatedAt = row.at;
  }
  return state;
}
