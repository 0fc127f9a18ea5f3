import { emptyRunCounts, type NewChange } from "@coder-dx/core";
import { aChangeRow } from "@coder-dx/core/testing";
import { describe, expect, it } from "vitest";
import { createTestApp, TOKENS } from "./testing";

const aChange = (overrides: Partial<NewChange>): NewChange =>
  aChangeRow({ outcome: "applied", attempts: 1, ...overrides });

const body = async (response: Response): Promise<any> => response.json();

describe("POST /v1/runs", () => {
  it("starts a run and answers 202 with it", async () => {
    const { call, launched } = createTestApp();
    const response = await call("POST", "/v1/runs", TOKENS.operator, {
      dryRun: true,
      emails: ["Alice@Example.com"],
    });
    expect(response.status).toBe(202);
    expect((await body(response)).run).toMatchObject({
      id: "1",
      status: "running",
      dryRun: true,
      trigger: "api",
    });
    expect(launched).toEqual([
      { trigger: "api", dryRun: true, force: false, emails: ["Alice@Example.com"] },
    ]);
  });

  it("accepts an empty body as a plain run", async () => {
    const { call, launched } = createTestApp();
    expect((await call("POST", "/v1/runs", TOKENS.operator)).status).toBe(202);
    expect(launched[0]).toEqual({ trigger: "api", dryRun: false, force: false, emails: [] });
  });

  it("lets only an admin force", async () => {
    const { call } = createTestApp();
    const refused = await call("POST", "/v1/runs", TOKENS.operator, { force: true });
    expect(refused.status).toBe(403);
    expect((await body(refused)).error).toMatchObject({
      code: "forbidden",
      message: "force needs the admin role",
    });
    expect((await call("POST", "/v1/runs", TOKENS.admin, { force: true })).status).toBe(202);
  });

  it("answers 409 run_in_progress while another run holds the lease", async () => {
    const { call } = createTestApp({ busy: true });
    const response = await call("POST", "/v1/runs", TOKENS.operator, {});
    expect(response.status).toBe(409);
    expect((await body(response)).error.code).toBe("run_in_progress");
  });

  it("validates the body and names the problem", async () => {
    const { call, launched } = createTestApp();
    for (const [input, problem] of [
      [{ dryRun: "yes" }, /dryRun/],
      [{ emails: ["not-an-email"] }, /emails\.0/],
      [{ surprise: 1 }, /surprise/],
      ["{not json", /./],
    ] as const) {
      const response = await call("POST", "/v1/runs", TOKENS.operator, input);
      expect(response.status).toBe(400);
      const { error } = await body(response);
      expect(error.code).toBe("invalid_request");
      expect(error.message).toMatch(problem);
      expect(error.requestId).toMatch(/.+/);
    }
    expect(launched).toEqual([]);
  });

  it("limits the body size", async () => {
    const { call } = createTestApp();
    const response = await call("POST", "/v1/runs", TOKENS.operator, {
      emails: Array.from({ length: 400 }, (_, i) => `person${i}@example.com`),
    });
    expect(response.status).toBe(413);
    expect((await body(response)).error.code).toBe("payload_too_large");
  });
});

describe("GET /v1/runs", () => {
  it("pages newest first with a cursor, and shows one run or 404", async () => {
    const { call, store } = createTestApp();
    for (let i = 0; i < 5; i++)
      store.startRun({
        trigger: "cli",
        dryRun: false,
        scoped: false,
        startedAt: "2026-11-22T06:00:00.000Z",
      });
    const first = await body(await call("GET", "/v1/runs?limit=2", TOKENS.viewer));
    expect(first.runs.map((r: { id: string }) => r.id)).toEqual(["5", "4"]);
    const second = await body(
      await call("GET", `/v1/runs?limit=2&cursor=${first.nextCursor}`, TOKENS.viewer),
    );
    expect(second.runs.map((r: { id: string }) => r.id)).toEqual(["3", "2"]);
    expect((await body(await call("GET", "/v1/runs/3", TOKENS.viewer))).run.id).toBe("3");
    const missing = await call("GET", "/v1/runs/99", TOKENS.viewer);
    expect(missing.status).toBe(404);
    expect((await body(missing)).error.code).toBe("not_found");
    expect((await call("GET", "/v1/runs?limit=0", TOKENS.viewer)).status).toBe(400);
    const twice = await call("GET", "/v1/runs?limit=1&limit=2", TOKENS.viewer);
    expect(twice.status).toBe(400);
    expect((await body(twice)).error).toMatchObject({
      code: "invalid_request",
      message: "limit: given 2 times; give it once",
    });
    for (const cursor of ["abc", "0", "-1", "99999999999999999999"]) {
      for (const path of ["/v1/runs", "/v1/changes"]) {
        const refused = await call("GET", `${path}?cursor=${cursor}`, TOKENS.viewer);
        expect(refused.status, `${path} ${cursor}`).toBe(400);
        const { error } = await body(refused);
        expect(error.code).toBe("invalid_request");
        expect(error.message).toContain(`cursor "${cursor}" is not one coder-dx gave out`);
      }
    }
  });
});

describe("GET /v1/changes and /v1/users/{email}", () => {
  const seeded = () => {
    const t = createTestApp();
    t.store.insertChanges([
      aChange({ at: "2026-11-01T10:00:00.000Z", after: { Coder: "Active" } }),
      aChange({ at: "2026-11-02T10:00:00.000Z", email: "bob@example.com", outcome: "rejected" }),
      aChange({
        at: "2026-11-03T10:00:00.000Z",
        runId: "2",
        action: "change",
        before: { Coder: "Active" },
        after: { Coder: "Suspended" },
      }),
    ]);
    return t;
  };

  it("filters by email, run, outcome and time range, newest first", async () => {
    const { call } = seeded();
    const get = async (query: string) =>
      (await body(await call("GET", `/v1/changes?${query}`, TOKENS.viewer))).changes.map(
        (c: { id: string }) => c.id,
      );
    expect(await get("")).toEqual(["3", "2", "1"]);
    expect(await get("email=ALICE@example.com")).toEqual(["3", "1"]);
    expect(await get("runId=2")).toEqual(["3"]);
    expect(await get("outcome=rejected")).toEqual(["2"]);
    expect(await get("since=2026-11-02T00:00:00Z&until=2026-11-03T00:00:00Z")).toEqual(["2"]);
    const page = await body(await call("GET", "/v1/changes?limit=2", TOKENS.viewer));
    expect(page.nextCursor).toBe("2");
    expect(
      (
        await body(
          await call("GET", `/v1/changes?limit=2&cursor=${page.nextCursor}`, TOKENS.viewer),
        )
      ).changes.map((c: { id: string }) => c.id),
    ).toEqual(["1"]);
  });

  it("rejects bad filters with 400", async () => {
    const { call } = seeded();
    for (const query of ["outcome=maybe", "since=yesterday", "limit=5000", "runId=x"]) {
      const response = await call("GET", `/v1/changes?${query}`, TOKENS.viewer);
      expect(response.status, query).toBe(400);
      expect((await body(response)).error.code).toBe("invalid_request");
    }
  });

  it("gives a user's history and their state at a date", async () => {
    const { call, store } = seeded();
    store.adoptUserStates([
      {
        email: "alice@example.com",
        coderUserId: "c-1",
        username: "alice",
        attributes: { Coder: "Suspended" },
        properties: {},
        updatedAt: "2026-11-03T10:00:00.000Z",
        unmatchedAt: null,
        unmatchedAttributes: null,
      },
    ]);
    const now = await body(await call("GET", "/v1/users/Alice%40example.com", TOKENS.viewer));
    expect(now.user).toEqual({
      email: "alice@example.com",
      coderUserId: "c-1",
      attributes: { Coder: "Suspended" },
      updatedAt: "2026-11-03T10:00:00.000Z",
    });
    expect(now.history).toHaveLength(2);
    const then = await body(
      await call("GET", "/v1/users/alice@example.com?at=2026-11-02", TOKENS.viewer),
    );
    expect(then.user.attributes).toEqual({ Coder: "Active" });
    expect(then.history.map((c: { id: string }) => c.id)).toEqual(["1"]);
    expect((await call("GET", "/v1/users/nobody@example.com", TOKENS.viewer)).status).toBe(404);
    expect(
      (await call("GET", "/v1/users/alice@example.com?at=someday", TOKENS.viewer)).status,
    ).toBe(400);
  });
});

describe("the cohort report route", () => {
  it("counts values on a date and gives the movements between two", async () => {
    const { call, store } = createTestApp();
    store.insertChanges([
      aChange({
        at: "2026-11-01T10:00:00.000Z",
        after: { Coder: "Active", "Coder usage level": "Heavy" },
      }),
      aChange({
        at: "2026-11-05T10:00:00.000Z",
        after: { Coder: "Active", "Coder usage level": "Light" },
      }),
    ]);
    const counts = await body(await call("GET", "/v1/report?at=2026-11-02", TOKENS.viewer));
    expect(counts.report).toEqual({
      at: "2026-11-02T23:59:59.999Z",
      groups: { Coder: { Active: 1 }, "Coder usage level": { Heavy: 1 } },
    });
    const moved = await body(
      await call("GET", "/v1/report?from=2026-11-02&to=2026-11-05", TOKENS.viewer),
    );
    expect(moved.movement.groups["Coder usage level"]).toMatchObject({
      matrix: { Heavy: { Light: 1 } },
      down: 1,
    });
    const bad = await call("GET", "/v1/report?from=2026-11-05", TOKENS.viewer);
    expect(bad.status).toBe(400);
  });
});

describe("system routes", () => {
  it("reports the last run and the last success from the store, so they survive a restart", async () => {
    const { call, store } = createTestApp();
    const metricsText = async () => (await call("GET", "/metrics", TOKENS.viewer)).text();
    expect(await metricsText()).toMatch(/^coder_dx_last_success_timestamp_seconds 0$/m);
    const start = { trigger: "schedule", dryRun: false, scoped: false } as const;
    const ok = store.startRun({ ...start, startedAt: "2026-11-22T05:00:00.000Z" });
    store.finishRun(ok.id, {
      status: "succeeded",
      finishedAt: "2026-11-22T05:00:10.000Z",
      error: null,
      sourceCount: 3,
      counts: { ...emptyRunCounts(), users: 3, unchanged: 2, changed: 1, applied: 1 },
    });
    const bad = store.startRun({ ...start, startedAt: "2026-11-22T06:00:00.000Z" });
    store.finishRun(bad.id, {
      status: "failed",
      finishedAt: "2026-11-22T06:00:05.000Z",
      error: { code: "coder_unavailable", message: "down" },
      sourceCount: null,
      counts: emptyRunCounts(),
    });
    const text = await metricsText();
    expect(text).toMatch(/^coder_dx_last_success_timestamp_seconds 1795323610$/m);
    expect(text).toMatch(/^coder_dx_last_run_timestamp_seconds 1795327205$/m);
    expect(text).toMatch(/^coder_dx_last_run_status\{status="failed"\} 1$/m);
    expect(text).toMatch(/^coder_dx_last_run_status\{status="succeeded"\} 0$/m);
    expect(text).toMatch(/^coder_dx_last_run_users\{outcome="applied"\} 0$/m);
  });

  it("answers health without a token, metrics with one, 404 in the envelope", async () => {
    const { call } = createTestApp();
    const health = await call("GET", "/healthz", null);
    expect([health.status, await body(health)]).toEqual([200, { status: "ok" }]);
    await call("GET", "/v1/runs", TOKENS.viewer);
    const metrics = await call("GET", "/metrics", TOKENS.viewer);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(await metrics.text()).toMatch(
      /coder_dx_http_requests_total\{method="GET",route="\/v1\/runs",status="200"\} 1/,
    );
    const missing = await call("GET", "/v2/nothing", null);
    expect(missing.status).toBe(404);
    expect((await body(missing)).error).toMatchObject({
      code: "not_found",
      message: "no route GET /v2/nothing",
    });
  });

  it("publishes an OpenAPI 3 document of every route, and a readable reference page", async () => {
    const { call } = createTestApp();
    const doc = await body(await call("GET", "/openapi.json", null));
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/healthz",
      "/metrics",
      "/v1/changes",
      "/v1/events",
      "/v1/hooks",
      "/v1/hooks/coder/{secret}",
      "/v1/report",
      "/v1/runs",
      "/v1/runs/{id}",
      "/v1/users/{email}",
    ]);
    expect(doc.components.schemas.Run.required).toContain("counts");
    const page = await call("GET", "/docs", null);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("<code>/v1/changes</code>");
  });
});
