import type { ChangeRow, Run } from "@coder-dx/core";
import { afterEach, describe, expect, it } from "vitest";
import { startScenario } from "./testing/scenario";
import { startServe, VIA_PNPM } from "./testing/serve-process";

const TOKENS = {
  viewer: "e2e-viewer-0123456789",
  operator: "e2e-operator-0123456789",
  admin: "e2e-admin-0123456789",
};
const API_TOKENS = Object.entries(TOKENS)
  .map(([role, token]) => `${role}:${token}`)
  .join(",");

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setUp(
  people: number,
  config: Record<string, unknown> = {},
  serveArgs: string[] = [],
  options: { viaPnpm?: boolean } = {},
) {
  const s = await startScenario(config);
  cleanup.push(s.close);
  for (let i = 0; i < people; i++) s.person(`member${String(i).padStart(3, "0")}`);
  const env = { ...s.env, CODER_DX_API_TOKENS: API_TOKENS };
  // Through pnpm, in a process group of its own: a group signal reaches pnpm and coder-dx,
  // and pnpm forwards it once more, as in a terminal.
  const server = options.viaPnpm
    ? await startServe(serveArgs, env, VIA_PNPM, { group: true })
    : await startServe(serveArgs, env);
  cleanup.push(() => (server.child.exitCode === null ? server.stop("SIGKILL") : Promise.resolve()));
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) };
  };
  const waitForRun = async (id: string): Promise<Run> => {
    for (let i = 0; i < 200; i++) {
      const { run } = (await api("GET", `/v1/runs/${id}`, TOKENS.viewer)).json() as { run: Run };
      if (run.status !== "running") return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${id} did not finish`);
  };
  return { s, server, api, waitForRun };
}

describe("coder-dx serve, end to end", () => {
  it("triggers a run, refuses a second one from the API and the CLI, and reports what happened", async () => {
    const { s, server, api, waitForRun } = await setUp(30, { dx: { concurrency: 2 } });
    const gate = s.dx.faults.gate({ match: /attributes\.update/ }); // the run stays in the way until released

    const started = await api("POST", "/v1/runs", TOKENS.operator, {});
    expect(started.status).toBe(202);
    const { run } = started.json() as { run: Run };
    expect(run).toMatchObject({ status: "running", trigger: "api" });

    const second = await api("POST", "/v1/runs", TOKENS.operator, {});
    expect(second.status).toBe(409);
    expect(second.json().error).toMatchObject({ code: "run_in_progress" });
    const cli = await s.cli(["sync"]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain("another coder-dx run holds this database's lease");

    gate.release();
    const finished = await waitForRun(run.id);
    expect(finished).toMatchObject({ status: "succeeded", counts: { applied: 30 } });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await api(
          "GET",
          `/v1/changes?runId=${run.id}&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
          TOKENS.viewer,
        )
      ).json() as { changes: ChangeRow[]; nextCursor: string | null };
      seen.push(...page.changes.map((c) => c.email));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);

    const user = (await api("GET", "/v1/users/member007@example.com", TOKENS.viewer)).json();
    expect(user.user.attributes).toEqual({ Coder: "Active", "Coder usage level": "None" });
    expect(user.history[0]).toMatchObject({ runId: run.id, outcome: "applied" });

    const doc = (await api("GET", "/openapi.json", TOKENS.viewer)).json();
    expect(doc.paths["/v1/runs"].post).toBeDefined();
    const metrics = (await api("GET", "/metrics", TOKENS.viewer)).text;
    expect(metrics).toMatch(/coder_dx_runs_total\{status="succeeded",trigger="api"\} 1/);
    expect(metrics).toMatch(/coder_dx_upstream_requests_total\{service="dx",status="200"\} \d+/);

    const stopped = await server.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    const logs = server.logs();
    expect(logs).toMatch(/"requestId":"[^"]+".*"msg":"request"/);
    for (const secret of [...Object.values(TOKENS), s.coder.token, s.dx.token])
      expect(logs).not.toContain(secret);
  });

  it("on one SIGTERM to `pnpm -s coder-dx serve`'s process group mid-run (delivered twice), lets in-flight writes land and records them, and the next run finishes the job", async () => {
    const { s, server, api } = await setUp(40, { dx: { concurrency: 2 } }, [], { viaPnpm: true });
    const gate = s.dx.faults.gate({ match: /attributes\.update/ });
    const { run } = (await api("POST", "/v1/runs", TOKENS.operator, {})).json() as { run: Run };
    const inFlight = () => s.dx.requests.filter((r) => r.key.includes("attributes")).length;
    for (let i = 0; i < 500 && inFlight() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const stopping = server.stop("SIGTERM");
    for (let i = 0; i < 500 && !server.logs().includes('"msg":"stopping"'); i++)
      await new Promise((r) => setTimeout(r, 10));
    gate.release(); // the two writes in flight land after the stop began
    const stopped = await stopping;
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(server.logs()).not.toContain("exiting now");

    const { run: after } = JSON.parse((await s.cli(["runs", "show", run.id, "--json"])).stdout) as {
      run: Run;
    };
    expect(after).toMatchObject({ status: "interrupted", error: { code: "interrupted" } });
    const written = s.dx.writes.length;
    expect(written).toBe(2);
    expect(after.counts.applied).toBe(written); // every write DX received was recorded

    const next = await s.sync();
    expect(next.counts.applied).toBe(40 - written);
    expect(s.dx.writes).toHaveLength(40);
  });

  it("runs on a schedule with trigger schedule", async () => {
    const { api, server } = await setUp(3, {}, ["--schedule", "* * * * * *"]);
    let runs: Run[] = [];
    for (let i = 0; i < 50 && !runs.some((r) => r.status === "succeeded"); i++) {
      await new Promise((r) => setTimeout(r, 200));
      runs = ((await api("GET", "/v1/runs", TOKENS.viewer)).json() as { runs: Run[] }).runs;
    }
    expect(runs.find((r) => r.status === "succeeded")).toMatchObject({ trigger: "schedule" });
    expect((await server.stop()).code).toBe(0);
  });
});
