import {
  CoderClient,
  DxClient,
  type Logger,
  type Notification,
  silentLogger,
  type SyncStore,
} from "@coder-dx/core";
import { aConfig, MemorySyncStore } from "@coder-dx/core/testing";
import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { afterEach, describe, expect, it } from "vitest";
import { parseApiTokens } from "./auth";
import { Metrics } from "./metrics";
import { type Service, startService } from "./service";

const SECRET = "live-secret-0123456789abcdef0123456789";
const ADMIN = "admin-token-0123456789";

let closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.reverse()) await close();
  closing = [];
});

/** Polls a state the test controls (DX's writes, the store), never a latency. */
async function until(condition: () => boolean, what: string, ms = 15_000) {
  for (const stop = Date.now() + ms; !condition(); ) {
    if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Coder and DX simulators, a store, and `serve` with Live on, Coder posting to its hook. */
async function live(
  options: { store?: MemorySyncStore; statusEveryMs?: number; log?: Logger } = {},
) {
  const coder = await CoderSimulator.start();
  const dx = await DxSimulator.start();
  const store = options.store ?? new MemorySyncStore();
  const config = aConfig({
    coder: { requestsPerMinute: 60_000, retryBaseMs: 1, maxAttempts: 1 },
    dx: { requestsPerMinute: 60_000, retryBaseMs: 1 },
    live: { hookSecret: SECRET },
  });
  const metrics = new Metrics();
  const service = await startService({
    host: "127.0.0.1",
    port: 0,
    syncDeps: {
      coder: new CoderClient({ ...config.coder, url: coder.url, token: coder.token }),
      dx: new DxClient({ ...config.dx, url: dx.url, token: dx.token }),
      store,
      log: silentLogger,
    },
    config,
    tokens: parseApiTokens([`admin:${ADMIN}`], "test"),
    metrics,
    log: options.log ?? silentLogger,
    schedule: null,
    drainMs: 2000,
    live: {
      quietMs: 20,
      retryMs: 50,
      ...(options.statusEveryMs ? { statusEveryMs: options.statusEveryMs } : {}),
    },
  });
  closing.push(
    () => dx.close(),
    () => coder.close(),
    () => service.stop(),
  );
  Object.assign(coder.notifications, {
    endpoint: `${service.url}/v1/hooks/coder/${SECRET}`,
    retryIntervalMs: 50,
  });
  const person = (username: string) => {
    const user = coder.addUser({ username });
    dx.addUser({ email: user.email });
    return user;
  };
  const runs = () => store.listRuns({ limit: 100 }).items;
  const settled = () =>
    store.listNotifications({ limit: 100 }).items.every((n) => n.outcome !== "waiting");
  return { coder, dx, store, service, metrics, person, runs, settled };
}

async function fullSync(service: Service) {
  const run = service.launchRun({ trigger: "api", dryRun: false, force: false, emails: [] });
  return run;
}

describe("Live in serve", () => {
  it("brings a suspension in Coder to DX through its notifications, in one hook run", async () => {
    const l = await live();
    const ann = l.person("ann");
    await fullSync(l.service);
    await until(() => l.runs()[0]?.status === "succeeded", "the first sync");
    const writes = l.dx.writes.length;
    l.coder.suspendUser(ann.id);
    await until(
      () => l.dx.attributesOf("ann@example.com").Coder === "Suspended",
      "DX to hold Suspended",
    );
    await until(l.settled, "the notifications settled");
    const hooks = l.runs().filter((r) => r.trigger === "hook");
    expect(hooks).toHaveLength(1);
    expect(l.dx.writes.length - writes).toBe(1);
    const notifications = l.store.listNotifications({ limit: 10 }).items;
    expect(notifications.map((n) => n.outcome).sort()).toEqual(["duplicate", "run"]); // bot's and ann's own
    expect(notifications.every((n) => n.runId === hooks[0]?.id)).toBe(true);
    expect(await l.metrics.text()).toMatch(/coder_dx_notification_to_dx_seconds_count 1/);
    expect(await l.metrics.text()).toMatch(
      /coder_dx_notifications_total\{name="User account suspended",result="waiting"\} 1/,
    );
  });

  it("keeps what arrives during another run waiting, and runs it after", async () => {
    const l = await live();
    for (const name of ["bea", "cal", "dee"]) l.person(name);
    const gate = l.dx.faults.gate({ match: /attributes\.update/ });
    await fullSync(l.service);
    await until(
      () => l.dx.requests.some((r) => r.key.includes("attributes")),
      "the full run's writes",
    );
    l.coder.suspendUser(l.coder.findUser("bea").id);
    await l.coder.notificationsSent();
    expect(l.store.waitingNotifications().length).toBeGreaterThan(0);
    gate.release();
    await until(
      () => l.dx.attributesOf("bea@example.com").Coder === "Suspended",
      "bea suspended in DX",
    );
    await until(l.settled, "every notification settled");
  });

  it("lets Coder retry a notification the store could not record, and records it once", async () => {
    const l = await live();
    const eve = l.person("eve");
    await fullSync(l.service);
    await until(() => l.runs()[0]?.status === "succeeded", "the first sync");
    l.store.failNext("recordNotification", { times: 2 });
    l.coder.suspendUser(eve.id);
    await until(
      () => l.dx.attributesOf("eve@example.com").Coder === "Suspended",
      "eve suspended in DX",
    );
    const statuses = l.coder.messages.map((m) => [m.attempts, m.delivered]);
    expect(statuses.some(([attempts]) => (attempts as number) > 1)).toBe(true);
    expect(statuses.every(([, delivered]) => delivered)).toBe(true);
    expect(l.store.listNotifications({ limit: 10 }).items).toHaveLength(2);
  });

  it("runs what waited before a restart", async () => {
    const store = new MemorySyncStore();
    const first = await live({ store });
    const fay = first.person("fay");
    await fullSync(first.service);
    await until(() => first.runs()[0]?.status === "succeeded", "the first sync");
    // Recorded, then the server went down before its run.
    first.coder.notifications.endpoint = null;
    first.coder.suspendUser(fay.id);
    const { acceptNotification, CoderNotification } = await import("@coder-dx/core");
    for (const message of first.coder.messages)
      acceptNotification(
        store as SyncStore,
        CoderNotification.parse(message.body),
        new Date().toISOString(),
      );
    // The same store and the same Coder and DX, a new server: it finds them waiting.
    const waiting: Notification[] = store.waitingNotifications();
    expect(waiting.length).toBeGreaterThan(0);
    await first.service.stop();
    const again = await startService({
      host: "127.0.0.1",
      port: 0,
      syncDeps: {
        coder: new CoderClient({ url: first.coder.url, token: first.coder.token }),
        dx: new DxClient({ url: first.dx.url, token: first.dx.token }),
        store,
        log: silentLogger,
      },
      config: aConfig({ live: { hookSecret: SECRET } }),
      tokens: parseApiTokens([`admin:${ADMIN}`], "test"),
      metrics: new Metrics(),
      log: silentLogger,
      schedule: null,
      live: { quietMs: 20, retryMs: 50 },
    });
    closing.push(() => again.stop());
    await until(
      () => first.dx.attributesOf("fay@example.com").Coder === "Suspended",
      "fay suspended",
    );
  });

  it("runs the status pass on its interval, writing what no notification announced", async () => {
    const l = await live({ statusEveryMs: 200 });
    const gil = l.person("gil");
    await fullSync(l.service);
    await until(() => l.runs().some((r) => r.status === "succeeded"), "the first sync");
    l.coder.updateUser(gil.id, { status: "dormant" }); // the dormancy job: no notification
    await until(
      () => l.dx.attributesOf("gil@example.com").Coder === "Dormant",
      "gil dormant in DX",
    );
    expect(l.runs().some((r) => r.trigger === "status" && r.counts.applied === 1)).toBe(true);
  });
});
