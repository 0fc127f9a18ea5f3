import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import {
  CoderClient,
  type Config,
  currentHolder,
  DxClient,
  parseConfig,
  PlatformXClient,
  PlatformxDispatcher,
  type Run,
  runSync,
  silentLogger,
  type SyncDeps,
} from "@coder-dx/core";
import { Metrics, parseApiTokens, startService } from "@coder-dx/server";
import {
  CoderSimulator,
  DxSimulator,
  type SimCoderUser,
  seedOrganisation,
} from "@coder-dx/simulators";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";
import type { Cli } from "../context";
import { formatTable, formatValues } from "../output";
import { planTable, runSummary } from "../render";
import { plural } from "../words";
import { changesTable } from "./audit";

export const DEMO_DB = "coder-dx-demo.db";

/** The demo itself, loaded only when asked for: the simulators are not part of a sync. */
export async function runDemo(cli: Cli, options: { people: number; keep: boolean }): Promise<void> {
  const { people } = options;
  const dbPath = resolve(cli.globals().db ?? DEMO_DB);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(dbPath + suffix, { force: true });
  const started = performance.now();
  const out = cli.out;
  const coderSim = await CoderSimulator.start();
  const dxSim = await DxSimulator.start();
  try {
    const org = seedOrganisation(coderSim, dxSim, { people });
    out.line(
      `coder-dx demo: a simulated Coder at ${coderSim.url} and a simulated DX at ${dxSim.url}`,
    );
    out.line(
      `Seeded ${org.people.length} people in Coder (all three statuses, mixed-case emails, usage at every level), a service account,\n` +
        `two accounts sharing one email, one pseudonymised email, and ${org.nonUsers.length} DX users who do not use Coder.\n` +
        `DX already has a "Department" attribute on everyone; coder-dx owns only "Coder" and "Coder usage level".`,
    );

    // The simulator answers as fast as it can, so the demo raises the DX budget; the real default is 600/minute.
    const config: Config = parseConfig({ dx: { requestsPerMinute: 60_000 } }, "demo config");
    const store = new SqliteSyncStore(openDatabase(dbPath));
    const deps = {
      coder: new CoderClient({
        url: coderSim.url,
        token: coderSim.token,
        requestsPerMinute: 60_000,
      }),
      dx: new DxClient({
        url: dxSim.url,
        token: dxSim.token,
        requestsPerMinute: config.dx.requestsPerMinute,
      }),
      store,
      log: cli.log,
    };
    const sync = async (title: string): Promise<Run> => {
      out.line(`\n── ${title}`);
      const writesBefore = dxSim.writes.length;
      const { run } = await runSync(deps, { config, trigger: "cli" });
      out.line(runSummary(run));
      out.line(`  DX received ${plural(dxSim.writes.length - writesBefore, "write")}.`);
      return run;
    };

    await sync("1. First sync: everyone gets their Coder attributes");
    const sample = org.people[1];
    if (sample) {
      out.line(
        `  For example ${sample.email.trim().toLowerCase()} in DX now: ${formatValues(dxSim.attributesOf(sample.email.trim()))}`,
      );
    }
    await sync("2. Second sync with nothing changed in Coder");

    out.line("\n── 3. Meanwhile in Coder:");
    const [heavy, moderate, suspended, leaver] = org.people
      .filter((p) => p.status === "active" && p.usageSeconds < 3600)
      .slice(0, 4);
    if (!heavy || !moderate || !suspended || !leaver)
      throw new Error("the seeded organisation is too small for the demo");
    coderSim.updateUser(heavy.id, { usageSeconds: 52 * 3600 });
    coderSim.updateUser(moderate.id, { usageSeconds: 14 * 3600 });
    coderSim.updateUser(suspended.id, { status: "suspended" });
    coderSim.removeUser(leaver.id);
    const joiner = coderSim.addUser({
      username: "new.hire",
      name: "New Hire",
      email: "New.Hire@Example.com",
      usageSeconds: 2 * 3600,
    });
    dxSim.addUser({ email: "new.hire@example.com", name: "New Hire" });
    out.line(
      formatTable(
        ["WHO", "WHAT HAPPENED"],
        [
          [heavy.username, "used Coder for 52 hours this month"],
          [moderate.username, "used Coder for 14 hours this month"],
          [suspended.username, "was suspended"],
          [leaver.username, "left (deleted from Coder)"],
          [joiner.username, "joined, and used Coder for 2 hours"],
        ],
      ),
    );
    const third = await sync("4. Third sync: only those five are written");
    out.line(
      planTable(
        store
          .listChanges({ runId: third.id, limit: 50 })
          .items.filter((r) => r.outcome === "applied")
          .map((r) => ({
            email: r.email,
            coderUserId: r.coderUserId,
            username: null,
            action: r.action,
            drift: false,
            note: r.note,
            desired: r.after,
            observed: r.observed,
            attributes: { before: r.before ?? {}, after: r.after ?? {} },
            properties: null,
          })),
      ),
    );

    const who = suspended.email.trim().toLowerCase();
    out.line(`\n── 5. The audit trail for ${who}: what was sent, when and why`);
    out.line(changesTable(store.listChanges({ email: who, limit: 10 }).items));
    out.line(
      `  DX now holds: ${formatValues(dxSim.attributesOf(who))} (Department was never touched)`,
    );

    await liveStep(cli, { coderSim, dxSim, deps, config, org: org.people, suspended: who });

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const db = dbPath === resolve(DEMO_DB) ? DEMO_DB : dbPath;
    out.line(`\nDone in ${seconds} s. The demo's database is ${db}; explore it:
  pnpm -s coder-dx --db ${db} runs list
  pnpm -s coder-dx --db ${db} audit --run ${third.id}
  pnpm -s coder-dx --db ${db} users show ${who}
  pnpm -s coder-dx --db ${db} audit --outcome invalid
  pnpm -s coder-dx --db ${db} events`);
    if (!options.keep) {
      out.line(`
Point coder-dx at a real Coder and DX:
  export CODER_URL=https://coder.example.com
  export CODER_SESSION_TOKEN=...   # coder tokens create --name coder-dx (Owner, Auditor or Template Admin)
  export DX_API_TOKEN=...          # DX organization token with users:read, users:write, snapshots:read
  pnpm -s coder-dx plan            # see what would change; writes nothing
  pnpm -s coder-dx sync --dry-run  # record a plan in ./coder-dx.db
  pnpm -s coder-dx sync            # push it`);
    }
    store.db.$client.close();
    if (options.keep) await keepRunning(cli, coderSim, dxSim, dbPath, org.people.length);
  } finally {
    await Promise.all([coderSim.close(), dxSim.close()]);
  }
}

/**
 * Live: `serve` takes Coder's notifications; a suspension reaches DX in seconds, one write for
 * the suspended person whatever the number of admins told.
 */
async function liveStep(
  cli: Cli,
  demo: {
    coderSim: CoderSimulator;
    dxSim: DxSimulator;
    deps: SyncDeps;
    config: Config;
    org: SimCoderUser[];
    suspended: string;
  },
): Promise<void> {
  const { coderSim, dxSim } = demo;
  const out = cli.out;
  const secret = randomBytes(24).toString("hex");
  // PlatformX on from here: its events go to DX's simulator with its project token.
  const config: Config = {
    ...demo.config,
    live: { hookSecret: secret, statusEvery: null },
    platformx: { ...demo.config.platformx, token: dxSim.projectToken },
  };
  const platformx = new PlatformxDispatcher(
    {
      store: demo.deps.store,
      client: new PlatformXClient({
        url: dxSim.url,
        token: dxSim.projectToken,
        requestsPerMinute: config.dx.requestsPerMinute,
      }),
      log: silentLogger,
      holder: currentHolder(),
    },
    { resendUnknown: false },
  );
  const service = await startService({
    host: "127.0.0.1",
    port: 0,
    syncDeps: { ...demo.deps, log: silentLogger, platformx },
    config,
    tokens: parseApiTokens([`admin:${randomBytes(24).toString("hex")}`], "demo"),
    metrics: new Metrics(),
    log: silentLogger,
    schedule: null,
  });
  try {
    coderSim.notifications.endpoint = `${service.url}/v1/hooks/coder/${secret}`;
    // Two more admins: each gets a copy of every user event.
    for (const name of ["ops.lead", "it.admin"])
      coderSim.addUser({
        username: name,
        roles: [{ name: "user-admin", display_name: "User Admin" }],
      });
    const person = demo.org.find(
      (p) => p.status === "active" && p.email.trim().toLowerCase() !== demo.suspended,
    );
    if (!person) return;
    const email = person.email.trim().toLowerCase();
    out.line(
      `\n── 6. Live: coder-dx serve takes Coder's notifications (${service.url}/v1/hooks/coder/…)`,
    );
    out.line(
      `  An admin suspends ${person.username} in Coder; Coder tells every owner and user-admin, and ${person.username}.`,
    );
    const writes = dxSim.writes.length;
    const suspendedAt = performance.now();
    coderSim.suspendUser(person.id, "ops.lead");
    for (let waited = 0; dxSim.attributesOf(email).Coder !== "Suspended"; waited += 10) {
      if (waited > 15_000) throw new Error("the suspension did not reach DX within 15 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = Math.round(performance.now() - suspendedAt);
    await coderSim.notificationsSent();
    out.line(
      `  DX held Coder=Suspended for ${email} ${ms} ms later: ${coderSim.messages.filter((m) => m.delivered).length} notifications, 1 re-read of Coder, ${dxSim.writes.length - writes} write.`,
    );
    for (let waited = 0; dxSim.events.length === 0; waited += 10) {
      if (waited > 15_000) throw new Error("the PlatformX event did not reach DX within 15 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    const events = dxSim.events.map((e) => `${e.name} for ${e.email}`);
    out.line(
      `  PlatformX got ${events.length} event: ${events.join(", ")} (for the person suspended, not the admins told).`,
    );
    out.line(
      "  The status pass (live.statusEvery) catches what Coder sends no notification for (SCIM, the dormancy job).",
    );
  } finally {
    coderSim.notifications.endpoint = null;
    await service.stop();
  }
}

/** `demo --keep`: the simulators stay up, and the shell lines that point coder-dx at them. */
async function keepRunning(
  cli: Cli,
  coder: CoderSimulator,
  dx: DxSimulator,
  db: string,
  people: number,
): Promise<void> {
  const minutes = Math.max(1, Math.ceil(people / 600));
  const apiToken = `demo-admin-${randomBytes(12).toString("hex")}`;
  cli.out.line(`
The simulators keep running. In another shell, point coder-dx at them:

  export CODER_URL=${coder.url}
  export CODER_SESSION_TOKEN=${coder.token}
  export DX_API_URL=${dx.url}
  export DX_API_TOKEN=${dx.token}
  export CODER_DX_DB=${db}
  export CODER_DX_API_TOKENS=admin:${apiToken}

  pnpm -s coder-dx doctor
  pnpm -s coder-dx plan
  pnpm -s coder-dx sync
  pnpm -s coder-dx export | head -5
  pnpm -s coder-dx serve --port 8080   # then: curl -H "Authorization: Bearer ${apiToken}" localhost:8080/v1/runs
                                       # or open http://localhost:8080/ and sign in with ${apiToken}

The demo raised DX's request budget to 60,000/minute because a simulator answers at once.
Those commands use the real default, 600/minute (DX allows 1,000 shared by all of an
account's integrations): a first sync of ${people} people, about one write each, would take
about ${minutes} minute${minutes === 1 ? "" : "s"}. Press Ctrl-C to stop the simulators.`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  cli.out.note("coder-dx demo: simulators stopped");
}
