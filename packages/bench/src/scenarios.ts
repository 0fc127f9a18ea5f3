import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  type CoderUser,
  cohortSeries,
  defaultConfig,
  emptyRunCounts,
  mapCoderUsers,
  planSync,
  silentLogger,
  type SyncStore,
  type UserState,
} from "@coder-dx/core";
import { createApp, Metrics, parseApiTokens } from "@coder-dx/server";
import { openDatabase, PgConnection, PostgresSyncStore, SqliteSyncStore } from "@coder-dx/storage";
import { serve } from "@hono/node-server";
import {
  measureBareClient,
  measureSync,
  type Org,
  percentile,
  startOrg,
  startSeparateOrg,
} from "./harness";
import { primeDx } from "./prime";
import { type Result, result } from "./result";

export type { Result };

const LATENCY_MS = 10;
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** The floor for a sync: every request must fit the budget, and the latency divided across the workers. */
function syncBound(
  requests: number,
  requestsPerMinute: number,
  concurrency: number,
  latencyMs = LATENCY_MS,
): number {
  return Math.max(
    requests / (requestsPerMinute / 60),
    (requests * (latencyMs / 1000)) / concurrency,
  );
}

/** Coder at its default budget (300 requests/minute, spent in a burst when needed). */
const syncConfig = (requestsPerMinute: number, concurrency: number) => ({
  dx: { requestsPerMinute, concurrency },
  // The benchmark changes far more people at once than a real day does.
  safety: { maxRemovals: 1_000_000 },
});

/**
 * The latency-bound case: 16 workers at 20 ms can send 800/s, under a 1,000/s budget, and
 * the servers announce `Keep-Alive: timeout=1` as load balancers do. Wall time is the CLI
 * process's, from spawn to exit.
 */
export async function benchLatencyBound(size: number): Promise<Result[]> {
  const latencyMs = 20;
  const workers = 16;
  const budget = 60_000;
  log(`latency-bound: seeding ${size.toLocaleString()} people (20 ms, Keep-Alive: timeout=1)`);
  const org = await startSeparateOrg(size, latencyMs, { keepAliveTimeoutMs: 1000 });
  try {
    log(`latency-bound: first sync of ${size.toLocaleString()}`);
    const run = await measureSync(org, syncConfig(budget, workers));
    if (run.dxWrites !== size) throw new Error(`wrote ${run.dxWrites}, expected ${size}`);
    log(
      `latency-bound: first write ${run.firstWriteSeconds?.toFixed(2)} s after spawn, then ${run.writesPerSecond?.toFixed(0)} writes/s (16 workers at 20 ms allow 800)`,
    );
    const bare = await measureBareClient(org, run.writes, workers);
    log(
      `latency-bound: a bare undici client sends the same ${bare.writes.toLocaleString()} writes in ${bare.processSeconds.toFixed(1)} s (${bare.writesPerSecond.toFixed(0)} writes/s); coder-dx ${run.processSeconds.toFixed(1)} s, ${(run.processSeconds / bare.processSeconds).toFixed(3)}×`,
    );
    const scenario = `latency-bound first sync, ${size.toLocaleString()} users, 20 ms, 16 workers, 1,000 req/s`;
    const details = {
      dxRequests: run.dxRequests,
      runSeconds: run.runSeconds,
      peakRssMb: run.peakRssMb,
      dxConnections: run.dxConnections,
      busiestSecond: run.busiestSecond,
      firstWriteSeconds: run.firstWriteSeconds,
      writesPerSecond: run.writesPerSecond,
      bareClient: bare,
    };
    return [
      result(
        scenario,
        "process wall",
        run.processSeconds,
        "s",
        syncBound(run.dxRequests, budget, workers, latencyMs),
        1.1,
        details,
      ),
      result(
        scenario,
        "process wall vs a bare undici client (same writes, same sockets)",
        run.processSeconds,
        "s",
        bare.processSeconds,
        1.05,
        { bareWritesPerSecond: bare.writesPerSecond, cliWritesPerSecond: run.writesPerSecond },
      ),
      result(scenario, "DX connections opened", run.dxConnections, "connections", 2 * workers, 1),
      result(scenario, "busiest 1-s window", run.busiestSecond, "requests", budget / 60, 1),
    ];
  } finally {
    await org.close();
  }
}

export async function benchPlanner(size = 100_000): Promise<Result[]> {
  const config = defaultConfig();
  const users: CoderUser[] = Array.from({ length: size }, (_, i) => ({
    id: randomUUID(),
    username: `person${i}`,
    name: `Person ${i}`,
    email: `Person${i}@Example.com`,
    status: i % 10 === 0 ? "dormant" : "active",
    login_type: "oidc",
    organization_ids: [],
    roles: [],
  }));
  const usage = new Map(users.map((u, i) => [u.id, (i % 5) * 10 * 3600]));
  const state = new Map<string, UserState>(
    users.map((u) => {
      const email = u.email.toLowerCase();
      return [
        email,
        {
          email,
          coderUserId: u.id,
          username: u.username,
          attributes: { Coder: "Active", "Coder usage level": "None" },
          properties: {},
          updatedAt: "",
          unmatchedAt: null,
          unmatchedAttributes: null,
        },
      ];
    }),
  );
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const mapped = mapCoderUsers({ users, usageSeconds: usage, tokenOwnerId: null, config });
    planSync({ mapped, observed: null, state, config, now: new Date() });
    times.push((performance.now() - started) / 1000);
  }
  const best = Math.min(...times);
  return [
    result("planner alone, 100,000 users", "map + plan (best of 5)", best, "s", 1, 1, {
      runs: times,
    }),
  ];
}

export async function benchAudit(rows = 2_000_000): Promise<Result[]> {
  const dir = (await import("node:fs")).mkdtempSync(
    `${(await import("node:os")).tmpdir()}/coder-dx-audit-`,
  );
  const db = openDatabase(`${dir}/audit.db`);
  const store = new SqliteSyncStore(db);
  const people = 100_000;
  const runs = 200;
  log(`seeding ${rows.toLocaleString()} audit rows of ${people.toLocaleString()} people`);
  const insert = db.$client.prepare(
    "INSERT INTO changes (run_id, at, email, coder_user_id, kind, action, before, after, observed, outcome, error, attempts, note) VALUES (?, ?, ?, ?, 'attributes', 'change', ?, ?, NULL, ?, NULL, 1, NULL)",
  );
  const start = Date.parse("2026-01-01T00:00:00Z");
  const perRun = rows / runs;
  for (let run = 1; run <= runs; run++) {
    const startedAt = new Date(start + run * 86_400_000).toISOString();
    const { id } = store.startRun({ trigger: "schedule", dryRun: false, scoped: false, startedAt });
    store.finishRun(id, {
      status: "succeeded",
      finishedAt: new Date(start + run * 86_400_000 + perRun * 1000).toISOString(),
      error: null,
      counts: { ...emptyRunCounts(), users: people, applied: perRun, rejected: perRun / 50 },
      sourceCount: people,
    });
  }
  const seed = db.$client.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const run = Math.floor(i / perRun) + 1;
      insert.run(
        String(run),
        new Date(start + run * 86_400_000 + (i % perRun) * 1000).toISOString(),
        `person${i % people}@example.com`,
        `c-${i % people}`,
        '{"Coder":"Active","Coder usage level":"Light"}',
        '{"Coder":"Active","Coder usage level":"Heavy"}',
        i % 50 === 0 ? "rejected" : "applied",
      );
    }
  });
  for (let i = 0; i < rows; i += 100_000) seed(i, Math.min(rows, i + 100_000));
  db.$client.pragma("optimize");

  const results = await measureAudit(store, "audit query", { rows, people, runs, start }, true);
  db.$client.close();
  results.push(...(await benchAuditPostgres({ rows, people, runs, start })));
  return results;
}

interface AuditSize {
  rows: number;
  people: number;
  runs: number;
  /** The day before the first run. */
  start: number;
}

/** The audit queries (and, with `console`, the console's pages) over HTTP against a store. */
async function measureAudit(
  store: SyncStore,
  label: string,
  { rows, people, runs, start }: AuditSize,
  withConsole: boolean,
): Promise<Result[]> {
  // The console's 90-day cohort, folded from the whole history: `serve` does it in a worker
  // thread, and pages never wait more than 150 ms for it. Here it holds this process's loop for
  // seconds, so it goes first: a kept-alive socket left idle that long is closed by the server
  // as the next request is sent on it (ECONNRESET).
  const foldSeconds = withConsole ? timeCohortFold(store) : 0;
  const token = "bench-viewer-0123456789";
  const app = createApp({
    store,
    launchRun: () => {
      throw new Error("not in this benchmark");
    },
    tokens: parseApiTokens([`viewer:${token}`], "bench"),
    metrics: new Metrics(),
    log: silentLogger,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const random = (n: number) => Math.floor(Math.random() * n);
  const queries: Record<string, () => string> = {
    "by email": () => `/v1/changes?email=person${random(people)}@example.com&limit=50`,
    "by run": () => `/v1/changes?runId=${1 + random(runs)}&limit=50`,
    "by run and outcome": () => `/v1/changes?runId=${1 + random(runs)}&outcome=rejected&limit=50`,
    "time range (1 day)": () => {
      const day = new Date(start + (1 + random(runs)) * 86_400_000);
      return `/v1/changes?since=${day.toISOString()}&until=${new Date(day.getTime() + 86_400_000).toISOString()}&limit=50`;
    },
    "cursor page (deep)": () => `/v1/changes?cursor=${1 + random(rows)}&limit=50`,
    "user history": () => `/v1/users/person${random(people)}@example.com`,
  };
  const results: Result[] = [];
  for (const [name, next] of Object.entries(queries)) {
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      const started = performance.now();
      const response = await fetch(url + next(), { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200)
        throw new Error(`${name}: HTTP ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      if (i >= 20) times.push(performance.now() - started); // the first few warm the page cache
    }
    results.push(
      result(
        `${label}, ${(rows / 1e6).toFixed(0)}M rows: ${name}`,
        "p99 over HTTP",
        percentile(times, 99),
        "ms",
        20,
        1,
        { p50: percentile(times, 50), requests: times.length },
      ),
    );
  }
  if (withConsole)
    results.push(...(await benchConsole(url, token, foldSeconds, { rows, people, runs })));
  server.close();
  return results;
}

/**
 * The same audit queries on Postgres, when a server is given (`CODER_DX_BENCH_POSTGRES`, or the
 * tests' `CODER_DX_TEST_POSTGRES`): 2,000,000 rows generated by the server itself.
 */
async function benchAuditPostgres(size: AuditSize): Promise<Result[]> {
  const url = process.env.CODER_DX_BENCH_POSTGRES ?? process.env.CODER_DX_TEST_POSTGRES;
  if (!url) {
    log("audit on Postgres skipped: set CODER_DX_BENCH_POSTGRES=postgres://… to measure it");
    return [];
  }
  const name = `coder_dx_bench_${Date.now()}`;
  const admin = new PgConnection(url);
  admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const store = new PostgresSyncStore(target.toString());
  try {
    log(`seeding ${size.rows.toLocaleString()} audit rows in Postgres`);
    const perRun = size.rows / size.runs;
    const day = (expr: string) =>
      `to_char(timestamp '2026-01-01' + ${expr}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    store.connection.query(
      `INSERT INTO runs (status, dry_run, trigger, scoped, started_at, finished_at, counts, source_count)
       SELECT 'succeeded', false, 'schedule', false, ${day("g * interval '1 day'")}, ${day(`g * interval '1 day' + ${perRun} * interval '1 second'`)},
              '{}'::jsonb, ${size.people} FROM generate_series(1, ${size.runs}) g`,
    );
    store.connection.query(
      `INSERT INTO changes (run_id, at, email, coder_user_id, kind, action, before, after, outcome, attempts)
       SELECT (i / ${perRun} + 1)::text, ${day(`(i / ${perRun} + 1) * interval '1 day' + (i % ${perRun}) * interval '1 second'`)},
              'person' || (i % ${size.people}) || '@example.com', 'c-' || (i % ${size.people}), 'attributes', 'change',
              '{"Coder":"Active","Coder usage level":"Light"}'::jsonb, '{"Coder":"Active","Coder usage level":"Heavy"}'::jsonb,
              CASE WHEN i % 50 = 0 THEN 'rejected' ELSE 'applied' END, 1
       FROM generate_series(0, ${size.rows - 1}) i`,
    );
    store.connection.query("ANALYZE");
    return await measureAudit(store, "audit query on Postgres", size, false);
  } finally {
    store.close();
    admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    admin.close();
  }
}

/** Seconds to fold the 90-day cohort series from the store's whole history. */
function timeCohortFold(store: SyncStore): number {
  const started = performance.now();
  const today = Date.UTC(2026, 11, 31);
  cohortSeries(
    store,
    Array.from({ length: 90 }, (_, i) => new Date(today - (89 - i) * 86_400_000).toISOString()),
  );
  return (performance.now() - started) / 1000;
}

/** The web console's pages over HTTP with a signed-in session: the first overview, then each page. */
async function benchConsole(
  url: string,
  token: string,
  foldSeconds: number,
  size: { rows: number; people: number; runs: number },
): Promise<Result[]> {
  const signin = await fetch(`${url}/signin`);
  const cookie = (response: Response) =>
    response.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
  const csrf = /name="csrf" value="([^"]+)"/.exec(await signin.text())?.[1] ?? "";
  const signedIn = await fetch(`${url}/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookie(signin), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, token }).toString(),
  });
  const session = cookie(signedIn);
  if (!session.includes("coder_dx_session=")) throw new Error("console sign-in failed");
  const get = async (path: string) => {
    const started = performance.now();
    const response = await fetch(url + path, { headers: { cookie: session }, redirect: "manual" });
    if (response.status !== 200) throw new Error(`console ${path}: HTTP ${response.status}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  const scenario = `web console, ${size.people.toLocaleString()} people, ${(size.rows / 1e6).toFixed(0)}M audit rows`;
  const random = (n: number) => Math.floor(Math.random() * n);
  const pages: Record<string, () => string> = {
    overview: () => "/",
    runs: () => "/runs",
    "a run's changes": () => `/runs/${1 + random(size.runs)}`,
    "a run's changes, filtered": () => `/runs/${1 + random(size.runs)}?outcome=rejected`,
    "a person's timeline": () => `/people?email=person${random(size.people)}@example.com`,
  };
  const results: Result[] = [
    result(scenario, "the 90-day cohort fold (a worker's job)", foldSeconds, "s", 10, 1),
  ];
  for (const [name, next] of Object.entries(pages)) {
    const times: number[] = [];
    for (let i = 0; i < 120; i++) {
      const ms = await get(next());
      if (i >= 20) times.push(ms);
    }
    results.push(
      result(`${scenario}: ${name}`, "p99 over HTTP", percentile(times, 99), "ms", 200, 1, {
        p50: percentile(times, 50),
      }),
    );
  }
  return results;
}

export async function benchLargeSync(size = 100_000): Promise<Result[]> {
  log(`seeding ${size.toLocaleString()} people in both simulators`);
  const org: Org = await startOrg(size, LATENCY_MS);
  const results: Result[] = [];
  try {
    const firstBudget = 60_000;
    const firstConcurrency = 32;
    log("first sync");
    const first = await measureSync(org, syncConfig(firstBudget, firstConcurrency));
    if (first.dxWrites !== size)
      throw new Error(`first sync wrote ${first.dxWrites}, expected ${size}`);
    results.push(
      result(
        "first sync, 100,000 users, 60,000 req/min, 10 ms",
        "run wall",
        first.runSeconds,
        "s",
        syncBound(first.dxRequests, firstBudget, firstConcurrency),
        1.15,
        {
          dxRequests: first.dxRequests,
          dxWrites: first.dxWrites,
          processSeconds: first.processSeconds,
          peakRssMb: first.peakRssMb,
          busiestSecond: first.busiestSecond,
        },
      ),
    );

    log("no-change sync");
    const same = await measureSync(org, syncConfig(firstBudget, firstConcurrency));
    results.push(
      result(
        "no-change sync, 100,000 users (read-back on)",
        "DX writes",
        same.dxWrites,
        "writes",
        0,
        1,
        { dxRequests: same.dxRequests },
      ),
    );
    results.push(
      result(
        "no-change sync, 100,000 users (read-back on, default Coder budget)",
        "process wall",
        same.processSeconds,
        "s",
        8,
        1,
        { runSeconds: same.runSeconds },
      ),
    );
    results.push(
      result(
        "no-change sync, 100,000 users (read-back on)",
        "peak RSS",
        same.peakRssMb,
        "MB",
        400,
        1,
      ),
    );

    log("1% changed sync");
    const changed = [...org.coder.users.values()]
      .filter((u) => u.username.startsWith("person"))
      .slice(0, size / 100);
    for (const user of changed)
      org.coder.updateUser(user.id, { status: user.status === "active" ? "dormant" : "active" });
    const budget = 12_000;
    const one = await measureSync(org, syncConfig(budget, firstConcurrency));
    results.push(
      result(
        "1% changed, 100,000 users, 12,000 req/min",
        "DX writes",
        one.dxWrites,
        "writes",
        changed.length,
        1,
        {},
      ),
    );
    results.push(
      result(
        "1% changed, 100,000 users, 12,000 req/min",
        "run wall",
        one.runSeconds,
        "s",
        syncBound(one.dxRequests, budget, firstConcurrency),
        1.15,
        {
          dxRequests: one.dxRequests,
          processSeconds: one.processSeconds,
        },
      ),
    );
  } finally {
    await org.close();
  }
  return results;
}

/**
 * A no-change sync of `size` people with the frequency group on: DX already holds what coder-dx
 * would compute (set with core's own functions), one run records it, the next is measured.
 */
export async function benchFrequency(size = 100_000): Promise<Result[]> {
  const org = await startOrg(size, LATENCY_MS);
  try {
    log(`usage frequency: priming ${size.toLocaleString()} people`);
    primeDx(org);
    const config = { ...syncConfig(60_000, 32), groups: { frequency: {} } };
    await measureSync(org, config); // records the values DX already holds
    log("no-change sync with usage frequency (28 more Coder reads)");
    const steady = await measureSync(org, config);
    const scenario = `no-change sync with usage frequency, ${size.toLocaleString()} users (default Coder budget)`;
    return [
      result(scenario, "DX writes", steady.dxWrites, "writes", 0, 1, {}),
      result(scenario, "process wall", steady.processSeconds, "s", 20, 1, {
        runSeconds: steady.runSeconds,
      }),
      result(scenario, "peak RSS", steady.peakRssMb, "MB", 450, 1),
    ];
  } finally {
    await org.close();
  }
}

export async function benchTightBudget(size = 10_000): Promise<Result[]> {
  const org = await startOrg(size, LATENCY_MS);
  try {
    log(`tight budget: priming ${size.toLocaleString()} people`);
    await measureSync(org, syncConfig(60_000, 16));
    const changed = [...org.coder.users.values()]
      .filter((u) => u.username.startsWith("person"))
      .slice(0, size / 100);
    for (const user of changed) org.coder.updateUser(user.id, { usageSeconds: 80 * 3600 });
    const budget = 1200;
    log("tight budget sync");
    const tight = await measureSync(org, syncConfig(budget, 8));
    return [
      result(
        `tight budget, ${size.toLocaleString()} users, 1% changed, 1,200 req/min`,
        "busiest 1-s window",
        tight.busiestSecond,
        "requests",
        budget / 60,
        1,
        { dxWrites: tight.dxWrites },
      ),
      result(
        `tight budget, ${size.toLocaleString()} users, 1% changed, 1,200 req/min`,
        "run wall",
        tight.runSeconds,
        "s",
        syncBound(tight.dxRequests, budget, 8),
        1.15,
        { dxRequests: tight.dxRequests },
      ),
    ];
  } finally {
    await org.close();
  }
}
