import { CoderSimulator, DxSimulator, type SimMessage } from "@coder-dx/simulators";
import { CoderNotification } from "../domain/notification";
import { acceptNotification } from "../sync/accept-notification";
import { afterEach } from "vitest";
import { CoderClient } from "../clients/coder-client";
import { DxClient } from "../clients/dx-client";
import { PlatformXClient } from "../clients/platformx-client";
import { silentLogger } from "../ports";
import { currentHolder } from "../sync/lease";
import { followedKinds, PlatformxDispatcher } from "../sync/platformx";
import type { ConfigInput } from "../config/schema";
import type { ChangeRow } from "../ports";
import type { SyncDeps, SyncOptions } from "../sync/run-sync";
import { runSync, startSync } from "../sync/start-sync";
import { aConfig } from "./builders";
import { MemorySyncStore } from "./memory-store";

/**
 * Core's in-process end-to-end tests: both simulators on loopback, a memory store, and runs that
 * talk HTTP to them, as the CLI's would, without a process of their own. Not exported from
 * `@coder-dx/core/testing` (it needs the simulators, a dev dependency of core alone).
 */
const cleanup: (() => Promise<void>)[] = [];
/** Closes `close` after the test, as the simulators are. */
export function closeAfterTest(close: () => Promise<void>): void {
  cleanup.push(close);
}
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

/** Both simulators, a memory store, and a sync that talks HTTP to them over loopback. */
export async function simulatedSync(
  input: ConfigInput = {},
  deps: Partial<SyncDeps> = {},
  /** PlatformX on (its token DX's project token), and its sender after each run. */
  turnOn: { platformx?: boolean } = {},
) {
  const coder = await CoderSimulator.start();
  const dx = await DxSimulator.start();
  cleanup.push(
    () => coder.close(),
    () => dx.close(),
  );
  const config = aConfig({
    ...input,
    ...(turnOn.platformx ? { platformx: { token: dx.projectToken, ...input.platformx } } : {}),
    coder: { requestsPerMinute: 60_000, retryBaseMs: 1, ...input.coder },
    dx: { requestsPerMinute: 60_000, retryBaseMs: 1, maxAttempts: 2, ...input.dx },
  });
  const store = deps.store instanceof MemorySyncStore ? deps.store : new MemorySyncStore();
  const platformx = turnOn.platformx
    ? new PlatformxDispatcher(
        {
          store,
          client: new PlatformXClient({
            ...config.dx,
            url: dx.url,
            token: config.platformx.token as string,
          }),
          log: silentLogger,
          holder: currentHolder(),
        },
        { resendUnknown: config.platformx.resendUnknown },
      )
    : undefined;
  const clients = () => ({
    coder: new CoderClient({ ...config.coder, url: coder.url, token: coder.token }),
    dx: new DxClient({ ...config.dx, url: dx.url, token: dx.token }),
    ...(platformx ? { platformx } : {}),
  });
  /** A person in both Coder and DX; their email. */
  const person = (username: string, attributes?: Record<string, string>, hidden = false) => {
    const user = coder.addUser({ username });
    dx.addUser({ email: user.email, hidden, ...(attributes ? { attributes } : {}) });
    return user.email;
  };
  const options = (extra: Partial<SyncOptions> = {}): SyncOptions => ({
    config,
    trigger: "cli" as const,
    ...extra,
  });
  const sync = (extra: Partial<SyncOptions> = {}) =>
    runSync({ ...clients(), store, ...deps }, options(extra));
  const start = (extra: Partial<SyncOptions> = {}) =>
    startSync({ ...clients(), store, ...deps }, options(extra));
  const rows = (runId: string): ChangeRow[] => store.listChanges({ runId, limit: 10_000 }).items;
  return { coder, dx, store, config, clients, person, sync, start, rows, platformx };
}

/** Each row's outcome by the local part of its email. */
export const outcomes = (rows: ChangeRow[]) =>
  Object.fromEntries(rows.map((r) => [r.email.split("@")[0], r.outcome]));

/** When `liveOrg`'s notifications arrive, unless a test says otherwise. */
export const ARRIVED_AT = "2026-12-06T10:00:00.000Z";

/**
 * Live's org: both simulators with an owner and a user-admin (who get the admins' copies), and
 * notifications taken into the store as `serve` takes them.
 */
export async function liveOrg(config: ConfigInput = {}, turnOn: { platformx?: boolean } = {}) {
  const s = await simulatedSync(config, {}, turnOn);
  for (const [username, role] of [
    ["olga", "owner"],
    ["uma", "user-admin"],
  ] as const) {
    const admin = s.coder.addUser({ username, roles: [{ name: role, display_name: role }] });
    s.dx.addUser({ email: admin.email });
  }
  const followed = followedKinds(s.config);
  /** Takes every message Coder sent since the last call into the store, as `serve` would. */
  let taken = 0;
  const deliver = (messages: SimMessage[] = s.coder.messages.slice(taken), at = ARRIVED_AT) => {
    taken = s.coder.messages.length;
    return messages.map((m) =>
      acceptNotification(s.store, CoderNotification.parse(m.body), at, followed),
    );
  };
  const hookRun = () => s.sync({ trigger: "hook" });
  const statusPass = () => s.sync({ trigger: "status" });
  const dxRequests = () => s.dx.requests.length;
  return { ...s, deliver, hookRun, statusPass, dxRequests };
}
