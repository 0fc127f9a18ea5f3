import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Run } from "@coder-dx/core";
import type { SimCoderUser } from "@coder-dx/simulators";
import { busiestSecond, CLI, cliEnv, measureSync, type Org, startOrg } from "./harness";
import { startServe, until } from "./live";
import { primeDx } from "./prime";
import { type Result, result } from "./result";

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** The config both processes share: Live and PlatformX on, one DX budget. */
const configFor = (requestsPerMinute: number) => ({
  dx: { requestsPerMinute },
  live: { hookSecret: "${CODER_DX_HOOK_SECRET}" },
  platformx: { token: "${DX_PLATFORMX_TOKEN}" },
});

/**
 * `coder-dx sync --json` from the bundle beside a running `serve`, on the same database: tried
 * again while serve's run holds the lease (exit 1, `run_in_progress`), as a cron job's retry.
 */
async function syncBeside(
  org: Org,
  configPath: string,
  env: Record<string, string>,
): Promise<{ run: Run; tries: number }> {
  for (let tries = 1; tries <= 600; tries++) {
    const child = spawn(CLI, ["sync", "--json"], {
      env: cliEnv(org, configPath, env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const answer = JSON.parse(stdout || "{}") as { run?: Run; error?: { code: string } };
    if (answer.run && code === 0) return { run: answer.run, tries };
    if (answer.error?.code !== "run_in_progress")
      throw new Error(`sync exited ${code}:\n${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("sync never got the lease");
}

/**
 * PlatformX as a deployment sees it: `serve` from the bundle taking Coder's notification
 * webhooks (four copies of each suspension: three admins' and the person's own) and sending
 * PlatformX one event per suspension, for the person suspended; then a CLI full sync and
 * `serve` answering a burst at once, on one database, against DX's 1 s request count.
 */
export async function benchPlatformx(size = 5_000): Promise<Result[]> {
  const latencyMs = 20;
  log(`platformx: seeding ${size.toLocaleString()} people (DX answers in ${latencyMs} ms)`);
  const org = await startOrg(size, latencyMs);
  const results: Result[] = [];
  const secret = randomBytes(24).toString("hex");
  const env = { DX_PLATFORMX_TOKEN: org.dx.projectToken };
  try {
    for (const username of ["olga", "uma"])
      org.coder.addUser({ username, roles: [{ name: "user-admin", display_name: "User Admin" }] });
    primeDx(org);
    log("platformx: the first sync (DX already holds everyone's values; no backfill)");
    await measureSync(org, { dx: { requestsPerMinute: 60_000 } });
    const people = [...org.coder.users.values()].filter(
      (u) => u.username.startsWith("person") && u.status === "active",
    );
    const take = (n: number): SimCoderUser[] => people.splice(0, n);

    // 1. A thousand suspensions, four notifications each: a thousand events, one per person.
    {
      const budget = 6_000;
      const serve = await startServe(org, configFor(budget), secret, env);
      try {
        org.coder.notifications.endpoint = `${serve.url}/v1/hooks/coder/${secret}`;
        const burst = take(1000);
        const messages = org.coder.messages.length;
        const events = org.dx.events.length;
        log(`platformx: ${burst.length} suspensions at once`);
        const started = performance.now();
        for (const user of burst) org.coder.suspendUser(user.id);
        await until(() => org.dx.events.length - events >= burst.length, "the events", 600_000);
        const wall = (performance.now() - started) / 1000;
        await org.coder.notificationsSent();
        // Anything more would be a duplicate: give it time to show.
        await new Promise((r) => setTimeout(r, 2000));
        const sent = org.dx.events.slice(events);
        const expected = new Set(burst.map((u) => u.email.toLowerCase()));
        const right = sent.filter(
          (e) => e.name === "coder.user.suspended" && e.email !== null && expected.has(e.email),
        );
        const distinct = new Set(right.map((e) => e.email)).size;
        const notifications = org.coder.messages.length - messages;
        const scenario = `platformx: ${burst.length.toLocaleString()} suspensions as ${notifications.toLocaleString()} notifications`;
        results.push(
          result(scenario, "PlatformX events", sent.length, "events", burst.length, 1, {
            notifications,
            wallSeconds: Number(wall.toFixed(1)),
          }),
          result(
            scenario,
            "events for the subject (each person once)",
            distinct,
            "people",
            burst.length,
            1,
            { forSomeoneElse: sent.length - right.length },
          ),
        );
        log(
          `platformx: ${sent.length} events for ${notifications} notifications, ${distinct} people, in ${wall.toFixed(1)} s`,
        );
      } finally {
        org.coder.notifications.endpoint = null;
        await serve.stop();
      }
    }

    // 2. A CLI full sync and serve answering a burst at once: one budget between them.
    {
      const budget = 1_200;
      const serve = await startServe(org, configFor(budget), secret, env);
      const configPath = join(org.dir, "beside.json");
      writeFileSync(configPath, JSON.stringify(configFor(budget)));
      try {
        org.coder.notifications.endpoint = `${serve.url}/v1/hooks/coder/${secret}`;
        // Usage that moved: the full sync has writes of its own.
        for (const user of take(300)) org.coder.updateUser(user.id, { usageSeconds: 45 * 3600 });
        const burst = take(200);
        const events = org.dx.events.length;
        const from = org.dx.requests.length;
        log(`platformx: a CLI full sync and a burst of ${burst.length} suspensions, at once`);
        for (const user of burst) org.coder.suspendUser(user.id);
        // serve's hook run writes them; as it sends their events, the CLI's full sync starts.
        await until(
          () =>
            burst.every((u) => org.dx.attributesOf(u.email.toLowerCase()).Coder === "Suspended"),
          "the burst in DX",
          600_000,
        );
        const sync = await syncBeside(org, configPath, { ...env, CODER_DX_HOOK_SECRET: secret });
        await until(
          () => org.dx.events.length - events >= burst.length,
          "the burst's events",
          600_000,
        );
        const requests = org.dx.requests.slice(from);
        const times = requests.map((r) => r.at);
        const worst = busiestSecond(times);
        // serve's event sends while the CLI's run read and wrote: the two really did overlap.
        const during = (r: { key: string; at: number }) => {
          const at = performance.timeOrigin + r.at;
          return (
            r.key === "POST /events.track" &&
            at >= Date.parse(sync.run.startedAt) &&
            at <= Date.parse(sync.run.finishedAt ?? sync.run.startedAt)
          );
        };
        const overlapping = requests.filter(during).length;
        const scenario = `platformx: a CLI full sync (${sync.run.counts.applied} writes) and serve's burst (${burst.length} suspensions, ${burst.length} events), dx.requestsPerMinute ${budget}`;
        results.push(
          result(
            scenario,
            "DX requests in the worst 1-s window",
            worst,
            "requests",
            budget / 60 + 2,
            1,
            {
              requests: times.length,
              serveEventsDuringSync: overlapping,
              syncTries: sync.tries,
            },
          ),
        );
        log(
          `platformx: worst second ${worst} requests of ${times.length} (bound ${budget / 60 + 2}); serve sent ${overlapping} events during the CLI's run`,
        );
      } finally {
        org.coder.notifications.endpoint = null;
        await serve.stop();
      }
    }
  } finally {
    await org.close();
  }
  return results;
}
