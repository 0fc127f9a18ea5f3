import { describe, expect, it } from "vitest";
import { emptyRunCounts, type Logger } from "@coder-dx/core";
import { aChangeRow } from "@coder-dx/core/testing";
import { createTestApp, signInOn, TOKENS } from "../testing";

const PAGES = [
  "/",
  "/runs",
  "/runs/1",
  "/people",
  "/people?email=ann@example.com",
  "/live",
  "/events",
];
const FORMS = ["/actions/run", "/signout"];

async function signIn(token: string, log?: Logger) {
  return signInOn(createTestApp(log ? { log } : {}), token);
}

describe("the web console's security", () => {
  it("shows no page without a session: reads go to sign-in, posts are refused", async () => {
    const { app } = createTestApp();
    for (const path of PAGES) {
      const response = await app.request(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location")).toBe("/signin");
    }
    for (const path of FORMS) {
      expect((await app.request(path, { method: "POST" })).status, path).toBe(401);
    }
    // A bearer token is not a session: the console is for browsers.
    const bearer = await app.request("/", { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(bearer.status).toBe(303);
    expect((await app.request("/signin")).status).toBe(200);
    expect((await app.request("/assets/console.js")).status).toBe(200);
    expect((await app.request("/assets/uPlot.iife.min.js")).status).toBe(200);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie that holds no token, Secure over HTTPS", async () => {
    const s = await signIn(TOKENS.operator);
    expect(s.signed.status).toBe(303);
    const line = s.signed.headers.getSetCookie().find((c) => c.startsWith("coder_dx_session="));
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
    expect(line).not.toMatch(/Secure/);
    const value = s.cookies.get("coder_dx_session") ?? "";
    const decoded = Buffer.from(value.split(".")[0] ?? "", "base64url").toString();
    for (const text of [value, decoded, line ?? ""]) expect(text).not.toContain(TOKENS.operator);
    expect(s.overview.status).toBe(200);
    expect(await s.overview.text()).not.toContain(TOKENS.operator);

    const https = createTestApp();
    const form = await https.app.request("https://console.example.com/signin");
    expect(form.headers.getSetCookie().join()).toMatch(/Secure/);
  });

  it("never writes the token to the log, signing in or failing to", async () => {
    const lines: string[] = [];
    const log: Logger = {
      info: (message, fields) => lines.push(JSON.stringify({ message, fields })),
      warn: (message, fields) => lines.push(JSON.stringify({ message, fields })),
      error: (message, fields) => lines.push(JSON.stringify({ message, fields })),
    };
    const s = await signIn(TOKENS.admin, log);
    await s.get("/runs");
    await s.post("/actions/run", { csrf: s.pageCsrf, dryRun: "true" });
    await signIn("wrong-token-0123456789abcdef", log);
    expect(lines.some((l) => l.includes("console sign-in"))).toBe(true);
    expect(lines.some((l) => l.includes("request"))).toBe(true);
    for (const secret of [
      TOKENS.admin,
      "wrong-token-0123456789abcdef",
      s.cookies.get("coder_dx_session") ?? "x",
    ])
      expect(lines.join("\n")).not.toContain(secret);
  });

  it("forbids framing and anything from elsewhere on every page", async () => {
    const s = await signIn(TOKENS.admin);
    for (const response of [s.overview, await s.get("/runs"), await s.app.request("/signin")]) {
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
    }
  });

  it("refuses a forged or tampered session cookie", async () => {
    const s = await signIn(TOKENS.admin);
    const value = s.cookies.get("coder_dx_session") ?? "";
    const [body, signature] = value.split(".");
    const payload = JSON.parse(Buffer.from(body ?? "", "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, e: payload.e + 1 })).toString(
      "base64url",
    );
    for (const cookie of [`${forged}.${signature}`, `${body}.x${signature}`, "abc"]) {
      const response = await s.app.request("/", {
        headers: { cookie: `coder_dx_session=${cookie}` },
      });
      expect(response.status).toBe(303);
    }
  });

  it("needs the session's CSRF token on every form that changes anything", async () => {
    const s = await signIn(TOKENS.admin);
    for (const csrf of [undefined, "", "not-the-token"]) {
      const response = await s.post("/actions/run", csrf === undefined ? {} : { csrf });
      expect(response.status).toBe(403);
      expect((await s.post("/signout", csrf === undefined ? {} : { csrf })).status).toBe(403);
    }
    expect(s.launched).toEqual([]);
    const started = await s.post("/actions/run", { csrf: s.pageCsrf, dryRun: "true" });
    expect(started.status).toBe(303);
    // A run started from the console says so.
    expect(s.launched).toEqual([{ trigger: "console", dryRun: true, force: false, emails: [] }]);
    // The sign-in form carries its own token, bound to a cookie.
    const noToken = await s.app.request("/signin", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKENS.admin }).toString(),
    });
    expect(noToken.status).toBe(403);
  });

  it("follows the roles: a viewer cannot start runs, only an admin forces, after confirming", async () => {
    const viewer = await signIn(TOKENS.viewer);
    expect(await viewer.overview.text()).not.toContain("Sync now");
    expect((await viewer.post("/actions/run", { csrf: viewer.pageCsrf })).status).toBe(403);
    const operator = await signIn(TOKENS.operator);
    const operatorPage = await operator.get("/");
    expect(await operatorPage.text()).not.toContain("Force past brakes");
    expect(
      (
        await operator.post("/actions/run", {
          csrf: operator.pageCsrf,
          force: "true",
          confirm: "yes",
        })
      ).status,
    ).toBe(403);
    const admin = await signIn(TOKENS.admin);
    expect((await admin.post("/actions/run", { csrf: admin.pageCsrf, force: "true" })).status).toBe(
      403,
    );
    expect(
      (await admin.post("/actions/run", { csrf: admin.pageCsrf, force: "true", confirm: "yes" }))
        .status,
    ).toBe(303);
    expect(viewer.launched.length + operator.launched.length).toBe(0);
    expect(admin.launched).toMatchObject([{ force: true }]);
  });

  it("refuses a cursor it did not give out with the API's message, on the runs and on a run's changes", async () => {
    const s = await signIn(TOKENS.viewer);
    s.store.startRun({
      trigger: "cli",
      dryRun: false,
      scoped: false,
      startedAt: "2026-11-22T06:00:00.000Z",
    });
    for (const path of ["/runs?cursor=abc", "/runs/1?cursor=0"]) {
      const refused = await s.get(path);
      expect(refused.status, path).toBe(400);
      expect(await refused.text()).toMatch(
        /cursor &quot;(abc|0)&quot; is not one coder-dx gave out/,
      );
    }
  });

  it.each(["yesterday", "2026-12-5", "2026-02-30"])(
    "refuses %s as a date on People with the API's words, never showing today's values as then",
    async (at) => {
      const s = await signIn(TOKENS.viewer);
      s.store.insertChanges([aChangeRow({ email: "ann@example.com", outcome: "applied" })]);
      const response = await s.get(`/people?email=ann@example.com&at=${encodeURIComponent(at)}`);
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toContain(
        `&quot;${at}&quot;: must be a real date (2026-11-20) or an ISO 8601 time (2026-11-20T10:00:00Z)`,
      );
      expect(body).not.toContain(`Held on ${at}`);
    },
  );

  it("says a run is in progress when the lease is held (409)", async () => {
    const s = await signIn(TOKENS.operator);
    const busy = createTestApp({ busy: true });
    const response = await busy.app.request("/actions/run", {
      method: "POST",
      headers: { cookie: s.cookies.header(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: s.pageCsrf }).toString(),
    });
    // Another app with the same tokens (a replica, or this one restarted) reads the session.
    expect(response.status).toBe(409);
    expect(await response.text()).toContain("A run is in progress");
  });

  it("reads a session on every server with the same tokens, and on none with other tokens", async () => {
    const s = await signIn(TOKENS.viewer);
    const replica = createTestApp();
    const seen = await replica.app.request("/runs", { headers: { cookie: s.cookies.header() } });
    expect(seen.status).toBe(200);
    const other = createTestApp({
      tokens: { ...TOKENS, admin: "a-rotated-admin-token-0123456789" },
    });
    const refused = await other.app.request("/runs", { headers: { cookie: s.cookies.header() } });
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toContain("/signin");
  });

  it("signs out: the cookie is cleared and the pages need sign-in again", async () => {
    const s = await signIn(TOKENS.viewer);
    const out = await s.post("/signout", { csrf: s.pageCsrf });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().join()).toMatch(/coder_dx_session=;.*Max-Age=0/);
  });

  it("refuses an unknown token without echoing it", async () => {
    const { signed: response } = await signIn("not-a-real-token-0123456789");
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).toContain("Unknown API token");
    expect(text).not.toContain("not-a-real-token-0123456789");
    expect(response.headers.getSetCookie().join()).not.toContain("coder_dx_session=");
  });
});

describe("the overview's cohort", () => {
  it("counts what DX confirmed, refolding when a real run has finished, never during one", async () => {
    const s = await signIn(TOKENS.viewer);
    const activeCount = async () => {
      const text = await (await s.get("/")).text();
      return /<\/svg> Active<\/td><td class="num">(\d+)<\/td>/.exec(text)?.[1] ?? "none";
    };
    const finished = (id: string) =>
      s.store.finishRun(id, {
        status: "succeeded",
        finishedAt: new Date().toISOString(),
        error: null,
        counts: emptyRunCounts(),
        sourceCount: 1,
      });
    const write = (runId: string, email: string) =>
      s.store.insertChanges([
        aChangeRow({
          runId,
          email,
          outcome: "applied",
          after: { Coder: "Active" },
          at: new Date().toISOString(),
        }),
      ]);
    const started = () =>
      s.store.startRun({
        trigger: "api",
        dryRun: false,
        scoped: false,
        startedAt: new Date().toISOString(),
      });
    expect(await activeCount()).toBe("none");
    const first = started();
    write(first.id, "ann@example.com");
    finished(first.id);
    expect(await activeCount()).toBe("1");
    const second = started();
    write(second.id, "bob@example.com");
    expect(await activeCount()).toBe("1"); // the run is still writing
    finished(second.id);
    expect(await activeCount()).toBe("2");
  });
});
