import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Notification } from "@coder-dx/core";
import type { SimCoderUser } from "@coder-dx/simulators";
import { CLI, cliEnv, measureSync, type Org, percentile, startOrg } from "./harness";
import { primeDx } from "./prime";
import { type Result, result } from "./result";

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** Polls a state (DX's attributes), never a latency. */
export async function until(condition: () => boolean, what: string, ms: number): Promise<void> {
  for (const stop = Date.now() + ms; !condition(); ) {
    if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `coder-dx serve` from the bundle, Live on, against the org; its URL once it listens. */
export async function startServe(
  org: Org,
  config: Record<string, unknown>,
  secret: string,
  env: Record<string, string> = {},
) {
  const configPath = join(org.dir, "serve.json");
  writeFileSync(configPath, JSON.stringify(config));
  const token = `bench-viewer-${randomBytes(12).toString("hex")}`;
  const child = spawn(CLI, ["serve", "--port", "0"], {
    env: cliEnv(org, configPath, {
      CODER_DX_API_TOKENS: `viewer:${token}`,
      CODER_DX_HOOK_SECRET: secret,
      ...env,
    }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  await until(() => /coder-dx on http:\/\/\S+/.test(stderr), "serve to listen", 20_000);
  const url = (/coder-dx on (http:\/\/[^\s:]+:\d+)/.exec(stderr) as RegExpExecArray)[1] as string;
  const notifications = async (): Promise<Notification[]> => {
    const all: Notification[] = [];
    for (let cursor: string | null = null; ; ) {
      const response = await fetch(
        `${url}/v1/hooks?limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const page = (await response.json()) as {
        notifications: Notification[];
        nextCursor: string | null;
      };
      all.push(...page.notifications);
      cursor = page.nextCursor;
      if (!cursor) return all;
    }
  };
  return {
    url,
    notifications,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

const seconds = (n: Notification) =>
  (Date.parse(n.confirmedAt as string) - Date.parse(n.receivedAt)) / 1000;

/**
 * Live, as a deployment sees it: `serve` from the bundle taking the Coder simulator's
 * notification webhooks (one per recipient), DX answering in 20 ms at the default budget.
 */
export async function benchLive(size = 10_000): Promise<Result[]> {
  const latencyMs = 20;
  const budget = 600; // DX's requests per minute: coder-dx's default
  log(`live: seeding ${size.toLocaleString()} people (DX answers in ${latencyMs} ms)`);
  const org = await startOrg(size, latencyMs);
  const results: Result[] = [];
  try {
    // Two more admins: every user event is 3 admin copies, and the personal one.
    for (const username of ["olga", "uma"])
      org.coder.addUser({ username, roles: [{ name: "user-admin", display_name: "User Admin" }] });
    log("live: the first sync (DX already holds everyone's values)");
    primeDx(org);
    await measureSync(org, { dx: { requestsPerMinute: 60_000, concurrency: 16 } });
    const secret = randomBytes(24).toString("hex");
    const serve = await startServe(
      org,
      { dx: { requestsPerMinute: budget }, live: { hookSecret: "${CODER_DX_HOOK_SECRET}" } },
      secret,
    );
    try {
      org.coder.notifications.endpoint = `${serve.url}/v1/hooks/coder/${secret}`;
      const people = [...org.coder.users.values()].filter(
        (u) => u.username.startsWith("person") && u.status === "active",
      );
      const take = (n: number): SimCoderUser[] => people.splice(0, n);
      const suspended = (user: SimCoderUser) =>
        org.dx.attributesOf(user.email.toLowerCase()).Coder === "Suspended";

      // One suspension at a time: receipt → DX's confirmation, as the server records it.
      const single = take(40);
      log(`live: ${single.length} suspensions, one at a time`);
      for (const user of single) {
        org.coder.suspendUser(user.id);
        await until(() => suspended(user), `${user.username} suspended in DX`, 30_000);
        await org.coder.notificationsSent();
      }
      const times = (await serve.notifications())
        .filter((n) => n.outcome === "run" && n.confirmedAt)
        .map(seconds);
      const scenario = `live: one suspension, ${size.toLocaleString()} people synced, DX at ${latencyMs} ms`;
      results.push(
        result(scenario, "receipt → DX confirmed, p50", percentile(times, 50), "s", 1, 1, {
          samples: times.length,
        }),
        result(scenario, "receipt → DX confirmed, p99", percentile(times, 99), "s", 3, 1, {
          samples: times.length,
        }),
      );

      // A burst: a thousand suspensions at once, four notifications each.
      const burst = take(1000);
      const writes = org.dx.writes.length;
      const messages = org.coder.messages.length;
      log(`live: a burst of ${burst.length} suspensions`);
      const started = performance.now();
      for (const user of burst) org.coder.suspendUser(user.id);
      await until(() => burst.every(suspended), "the burst in DX", 600_000);
      const wall = (performance.now() - started) / 1000;
      await org.coder.notificationsSent();
      const sent = org.coder.messages.length - messages;
      const written = org.dx.writes.length - writes;
      const bound = burst.length / (budget / 60);
      const burstScenario = `live: ${burst.length.toLocaleString()} suspensions as ${sent.toLocaleString()} notifications, DX at ${budget}/min`;
      results.push(
        result(burstScenario, "DX writes", written, "writes", burst.length, 1, {
          notifications: sent,
        }),
        result(burstScenario, "all confirmed in DX", wall, "s", bound, 1.1, {
          writes: written,
        }),
      );
      log(
        `live: burst confirmed in ${wall.toFixed(1)} s (${written} writes for ${sent} notifications)`,
      );
    } finally {
      org.coder.notifications.endpoint = null;
      await serve.stop();
    }
  } finally {
    await org.close();
  }
  return results;
}

/** A status pass over `size` people with nothing changed: Coder's listing only, DX untouched. */
export async function benchStatusPass(size = 100_000): Promise<Result[]> {
  log(`status pass: seeding ${size.toLocaleString()} people`);
  const org = await startOrg(size, 10);
  try {
    primeDx(org);
    await measureSync(org, { dx: { requestsPerMinute: 60_000, concurrency: 32 } });
    log("status pass with nothing changed");
    const pass = await measureSync(org, {}, ["--status"]);
    const scenario = `status pass, ${size.toLocaleString()} people, nothing changed (default Coder budget)`;
    return [
      result(scenario, "DX requests", pass.dxRequests, "requests", 0, 1, {}),
      result(scenario, "process wall", pass.processSeconds, "s", 5, 1, {
        runSeconds: pass.runSeconds,
      }),
      result(scenario, "peak RSS", pass.peakRssMb, "MB", 300, 1),
    ];
  } finally {
    await org.close();
  }
}
