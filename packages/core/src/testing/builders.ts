import { randomUUID } from "node:crypto";
import { type Config, type ConfigInput, Config as ConfigSchema } from "../config/schema";
import type { CoderUser } from "../domain/coder-user";
import type { DxObservedUser } from "../domain/dx-user";
import type { UserState } from "../domain/plan";
import type { NewChange } from "../ports";

let sequence = 0;

/** A Coder user; state only what differs. Username and email derive from one counter. */
export function aCoderUser(overrides: Partial<CoderUser> = {}): CoderUser {
  sequence += 1;
  const username = overrides.username ?? `user${sequence}`;
  return {
    id: randomUUID(),
    username,
    name: `User ${sequence}`,
    email: `${username}@example.com`,
    status: "active",
    login_type: "oidc",
    organization_ids: ["00000000-0000-4000-8000-000000000001"],
    roles: [],
    created_at: "2025-01-01T00:00:00Z",
    last_seen_at: "2026-11-01T00:00:00Z",
    ...overrides,
  };
}

export function aConfig(input: ConfigInput = {}): Config {
  return ConfigSchema.parse(input);
}

export function aDxUser(
  email: string,
  attributes: Record<string, string | null> = {},
): DxObservedUser {
  return {
    email,
    attributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v]),
    ),
  };
}

export function aUserState(
  email: string,
  attributes: Record<string, string | null>,
  overrides: Partial<UserState> = {},
): UserState {
  return {
    email,
    coderUserId: randomUUID(),
    username: email.split("@")[0] ?? null,
    attributes,
    properties: {},
    updatedAt: "2026-11-01T00:00:00.000Z",
    unmatchedAt: null,
    unmatchedAttributes: null,
    ...overrides,
  };
}

/** An audit row as a run writes it before the DX call (an intent); state only what differs. */
export function aChangeRow(overrides: Partial<NewChange> = {}): NewChange {
  return {
    runId: "1",
    at: "2026-11-20T10:00:00.000Z",
    email: "alice@example.com",
    coderUserId: "c-alice",
    kind: "attributes",
    action: "set",
    before: { Coder: null },
    after: { Coder: "Active" },
    observed: null,
    outcome: "pending",
    error: null,
    attempts: 0,
    note: null,
    ...overrides,
  };
}
