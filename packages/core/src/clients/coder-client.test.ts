import { CoderSimulator } from "@coder-dx/simulators";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { failureOf } from "../testing/failure";
import { startLoopback } from "../testing/loopback";
import { CoderClient, usageWindow } from "./coder-client";

let sim: CoderSimulator;
const client = (overrides: Partial<ConstructorParameters<typeof CoderClient>[0]> = {}) =>
  new CoderClient({
    url: sim.url,
    token: sim.token,
    requestsPerMinute: 60_000,
    retryBaseMs: 5,
    pageSize: 7,
    ...overrides,
  });

beforeAll(async () => {
  sim = await CoderSimulator.start({ now: () => new Date("2026-11-22T06:30:00Z") });
  for (let i = 0; i < 20; i++)
    sim.addUser({ username: i % 2 ? `User${i}` : `user${i}`, usageSeconds: i * 600 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.faults.clear();
  sim.ownerRole = "owner";
});

describe("CoderClient", () => {
  it("reads every user through keyset pages, in Coder's order", async () => {
    const users = await client().listUsers();
    expect(users).toHaveLength(21); // 20 + the token owner
    const names = users.map((u) => u.username.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(new Set(users.map((u) => u.id)).size).toBe(21);
  });

  it("refuses a listing that ends short of the count Coder reported", async () => {
    sim.faults.add({
      match: /GET \/api\/v2\/users$/,
      skip: 1,
      times: 1,
      status: 200,
      body: JSON.stringify({ users: [], count: 0 }),
    });
    const error = await failureOf(client().listUsers());
    expect(error.code).toBe("listing_incomplete");
    expect(error.message).toContain("returned 7 users but reported 21");
  });

  it("names the refused token without printing it", async () => {
    const error = await failureOf(
      client({ token: "AbCdEf1234-wrongwrongwrongwrongwr" }).listUsers(),
    );
    expect(error.code).toBe("coder_unauthorized");
    expect(error.message).toContain("CODER_SESSION_TOKEN was refused");
    expect(error.message).not.toContain("wrongwrong");
  });

  it("reads usage for a window that follows Coder's midnight rules", async () => {
    const { start, end } = usageWindow(new Date("2026-11-22T06:30:00Z"), 28);
    expect([start.toISOString(), end.toISOString()]).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-11-22T00:00:00.000Z",
    ]);
    const usage = await client().getUserActivity(start, end);
    expect(usage.size).toBe(19); // user0 has no activity and is absent
  });

  it("turns Coder's 400 for a window off midnight into a typed error quoting Coder", async () => {
    const error = await failureOf(
      client().getUserActivity(new Date("2026-11-01T05:00:00Z"), new Date("2026-11-20T00:00:00Z")),
    );
    expect(error.code).toBe("coder_rejected");
    expect(error.message).toContain("must have the clock set to 00:00:00");
  });

  it("reports a token that may not read insights as a permission problem", async () => {
    sim.ownerRole = "member";
    const { start, end } = usageWindow(new Date("2026-11-22T06:30:00Z"), 28);
    const error = await failureOf(client().getUserActivity(start, end));
    expect(error.code).toBe("coder_forbidden");
    expect(error.message).toContain("Owner, Auditor or Template Admin");
  });

  it("retries 5xx HTML pages and 429s, and gives up after the attempt limit with an excerpt", async () => {
    sim.faults.add({
      match: /users\/me/,
      times: 2,
      status: 502,
      contentType: "text/html",
      body: "<html><body>Bad gateway</body></html>",
    });
    expect((await client().getMe()).username).toBe("coder-dx-bot");
    sim.faults.add({
      match: /users\/me/,
      status: 503,
      contentType: "text/html",
      body: "<html>down for maintenance</html>",
    });
    const error = await failureOf(client({ maxAttempts: 3 }).getMe());
    expect(error).toMatchObject({ code: "coder_unavailable", attempts: 3 });
    expect(error.message).toContain("down for maintenance");
  });

  it("rejects a 200 whose body is not a Coder user, naming the field", async () => {
    sim.faults.add({
      match: /users\/me/,
      status: 200,
      body: JSON.stringify({ id: "x", username: 5 }),
    });
    const error = await failureOf(client().getMe());
    expect(error.code).toBe("coder_bad_response");
    expect(error.message).toMatch(/username/);
  });

  it("fails fast on an unreachable host", async () => {
    const closed = await CoderSimulator.start();
    const url = closed.url;
    await closed.close();
    const error = await failureOf(
      new CoderClient({ url, token: "t", maxAttempts: 2, retryBaseMs: 1 }).getMe(),
    );
    expect(error.code).toBe("coder_unavailable");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("refuses a listing whose cursor does not move on, and accepts one that grew while paging", async () => {
    const firstPage = await client().listUsers();
    const wire = (u: (typeof firstPage)[number]) => ({ ...u, created_at: "2025-01-01T00:00:00Z" });
    // The second page comes back as the first again: a server that ignored after_id.
    sim.faults.add({
      match: /GET \/api\/v2\/users$/,
      skip: 1,
      times: 1,
      status: 200,
      body: JSON.stringify({ users: firstPage.slice(0, 7).map(wire), count: 14 }),
    });
    const repeated = await failureOf(client().listUsers());
    expect(repeated.code).toBe("listing_incomplete");
    expect(repeated.message).toMatch(/listed \S+ \(.*\) twice: the cursor did not move on/);

    sim.faults.clear();
    // Coder's count can grow while the listing is read (users created meanwhile): more is fine.
    sim.faults.add({
      match: /GET \/api\/v2\/users$/,
      times: 1,
      status: 200,
      body: JSON.stringify({ users: firstPage.slice(0, 7).map(wire), count: 15 }),
    });
    expect(await client().listUsers()).toHaveLength(21);
  });

  it("refuses a usage report with negative seconds or a user listed twice", async () => {
    const { start, end } = usageWindow(new Date("2026-11-22T06:30:00Z"), 28);
    const report = (users: unknown[]) =>
      JSON.stringify({ report: { start_time: "x", end_time: "y", template_ids: [], users } });
    const row = { user_id: "a", username: "alice", avatar_url: "", template_ids: [], seconds: 60 };
    sim.faults.add({ match: /user-activity/, times: 1, body: report([{ ...row, seconds: -60 }]) });
    const negative = await failureOf(client().getUserActivity(start, end));
    expect(negative.code).toBe("coder_bad_response");
    expect(negative.message).toContain("report.users.0.seconds");
    sim.faults.add({ match: /user-activity/, times: 1, body: report([row, row]) });
    const twice = await failureOf(client().getUserActivity(start, end));
    expect(twice.code).toBe("coder_bad_response");
    expect(twice.message).toContain("listed alice (a) twice");
  });

  it("never follows a redirect with the session token, and says where CODER_URL should point", async () => {
    const elsewhere = await startLoopback((_, res) => res.end("{}"));
    try {
      sim.faults.add({
        match: /users\/me/,
        status: 307,
        headers: { location: `${elsewhere.url}/api/v2/users/me` },
        body: "",
      });
      const error = await failureOf(client().getMe());
      expect(error.code).toBe("coder_url_invalid");
      expect(error.message).toContain(`set CODER_URL to ${elsewhere.url}`);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it("says CODER_URL is wrong when a 404 is not Coder's answer", async () => {
    const web = await startLoopback((_, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<html>Not Found</html>");
    });
    try {
      const error = await failureOf(new CoderClient({ url: web.url, token: "t" }).listUsers());
      expect(error.code).toBe("coder_url_invalid");
      expect(error.message).toContain("CODER_URL does not point at a Coder deployment");
      expect(web.requests).toHaveLength(1);
    } finally {
      await web.close();
    }
  });
});
