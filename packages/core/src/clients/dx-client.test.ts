import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { failureOf } from "../testing/failure";
import { startLoopback } from "../testing/loopback";
import { DxClient } from "./dx-client";

let sim: DxSimulator;
const client = (overrides: Partial<ConstructorParameters<typeof DxClient>[0]> = {}) =>
  new DxClient({
    url: sim.url,
    token: sim.token,
    requestsPerMinute: 60_000,
    retryBaseMs: 5,
    ...overrides,
  });

beforeAll(async () => {
  sim = await DxSimulator.start();
  for (let i = 0; i < 250; i++)
    sim.addUser({
      email: `Person${i}@Example.com`,
      attributes: { Department: "Data" },
      hidden: i % 50 === 0,
    });
  const gone = sim.addUser({ email: "gone@example.com" });
  gone.deletedAt = "2026-01-01T00:00:00Z";
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.faults.clear();
  sim.failingEmails.clear();
});

describe("DxClient", () => {
  it("reads every page of users.list, leaving out hidden and deleted users", async () => {
    const users = await client().listUsers();
    expect(users.size).toBe(245);
    expect(users.get("person1@example.com")?.attributes.department).toBe("Data");
    expect(users.has("person0@example.com")).toBe(false);
    expect(users.has("gone@example.com")).toBe(false);
  });

  it("fails the whole listing when one page fails", async () => {
    sim.faults.add({
      match: /users\.list/,
      skip: 1,
      status: 500,
      body: JSON.stringify({ ok: false, error: "internal" }),
    });
    const error = await failureOf(client({ maxAttempts: 2 }).listUsers());
    expect(error.code).toBe("dx_unavailable");
  });

  it("asks beforeSend as each attempt leaves, and sends nothing once it refuses (counting only attempts sent)", async () => {
    const { CoderDxError } = await import("../errors");
    let refuse = false;
    const beforeSend = () => {
      if (refuse) throw new CoderDxError("lease_lost", "another coder-dx process took the lease");
    };
    const writes = () => sim.requests.filter((r) => r.key.includes("attributes")).length;
    // Refused on the first attempt: nothing leaves.
    refuse = true;
    const before = writes();
    const first = await failureOf(
      client().updateAttributes("person4@example.com", { Coder: "Active" }, { beforeSend }),
    );
    expect(first).toMatchObject({ code: "lease_lost", attempts: 0 });
    expect(writes()).toBe(before);
    // Refused on the retry after a 503: one attempt left, the retry did not.
    refuse = false;
    sim.faults.add({ match: /attributes\.update/, status: 503, times: 1 });
    const retried = client({ maxAttempts: 3 }).updateAttributes(
      "person4@example.com",
      { Coder: "Active" },
      {
        beforeSend: () => {
          refuse = writes() > before; // from the second attempt on
          beforeSend();
        },
      },
    );
    expect(await failureOf(retried)).toMatchObject({ code: "lease_lost", attempts: 1 });
    expect(writes()).toBe(before + 1);
  });

  it("sets named groups only, null removes, and returns DX's answer with every attribute", async () => {
    const { answer } = await client().updateAttributes("person3@example.com", {
      Coder: "Active",
      "Coder usage level": "Light",
    });
    expect(answer.attributes.map((a) => [a.name, a.value, a.updated])).toEqual([
      ["Department", "Data", false],
      ["Coder", "Active", true],
      ["Coder usage level", "Light", true],
    ]);
    await client().updateAttributes("person3@example.com", { coder: null });
    expect(sim.attributesOf("person3@example.com")).toEqual({
      Department: "Data",
      "Coder usage level": "Light",
    });
  });

  it("hands back failures inside a 200 for the run to judge", async () => {
    sim.failingEmails.add("person4@example.com");
    const { answer } = await client().updateAttributes("person4@example.com", { Coder: "Active" });
    expect(answer.failures).toEqual([{ name: "Coder", error: "attribute_locked" }]);
  });

  it("reports a 4xx for an unknown email as a rejection carrying DX's code, never guessing from the status", async () => {
    for (const answer of [
      { status: 404, error: "not_found" },
      { status: 422, error: "invalid_payload" },
      { status: 400, error: "no_users_found" },
    ] as const) {
      sim.unknownUserAnswer = answer;
      const error = await failureOf(
        client().updateAttributes("stranger@example.com", { Coder: "Active" }),
      );
      expect(error.code).toBe("dx_rejected");
      expect(error.details).toMatchObject({ status: answer.status, upstreamCode: answer.error });
    }
    sim.unknownUserAnswer = { status: 404, error: "not_found" };
  });

  it('accepts DX\'s string "true" for ok, and reads a 200 with ok:false by its code', async () => {
    await expect(
      client().updateProperties("person5@example.com", { github_username: "p5" }),
    ).resolves.toMatchObject({ attempts: 1, answer: { github_username: "p5" } });
    sim.faults.add({
      match: /users\.update/,
      times: 1,
      body: '{"ok":false,"error":"invalid_auth"}',
    });
    expect(
      (await failureOf(client().updateProperties("person5@example.com", { github_username: "x" })))
        .code,
    ).toBe("dx_unauthorized");
    sim.faults.add({ match: /users\.update/, times: 1, body: '{"ok":"false","error":"locked"}' });
    const refused = await failureOf(
      client().updateProperties("person5@example.com", { github_username: "x" }),
    );
    expect(refused).toMatchObject({ code: "dx_rejected", details: { upstreamCode: "locked" } });
  });

  it("names the refused token without printing it", async () => {
    const error = await failureOf(client({ token: "secret-wrong-token" }).listAttributeGroups());
    expect(error.code).toBe("dx_unauthorized");
    expect(error.message).toContain("DX_API_TOKEN was refused (invalid_auth)");
    expect(error.message).not.toContain("secret-wrong-token");
  });

  it("honours Retry-After on 429 and counts every attempt", async () => {
    sim.faults.add({
      match: /attributes\.update/,
      times: 1,
      status: 429,
      headers: { "retry-after": "0" },
      body: JSON.stringify({ ok: false, error: "rate_limited" }),
    });
    sim.faults.add({
      match: /attributes\.update/,
      times: 1,
      status: 429,
      body: JSON.stringify({ ok: false, error: "rate_limited" }),
    });
    await expect(
      client().updateAttributes("person6@example.com", { Coder: "Active" }),
    ).resolves.toMatchObject({ attempts: 3 });
  });

  it("retries a truncated body and refuses a malformed one with an excerpt", async () => {
    sim.faults.add({
      match: /attributeGroups/,
      times: 1,
      truncate: true,
      body: JSON.stringify({ ok: true, attribute_groups: [] }),
    });
    expect((await client().listAttributeGroups()).has("department")).toBe(true);
    sim.faults.add({
      match: /attributeGroups/,
      body: JSON.stringify({ ok: true, attribute_groups: "nope" }),
    });
    const error = await failureOf(client().listAttributeGroups());
    expect(error.code).toBe("dx_bad_response");
    expect(error.message).toContain("attribute_groups");
  });

  it("rides out a 429 without Retry-After past maxAttempts, bounded by maxRetryTimeMs", async () => {
    const tooMany = {
      match: /attributes\.update/,
      status: 429,
      body: '{"ok":false,"error":"rate_limited"}',
    };
    sim.faults.add({ ...tooMany, times: 4 });
    await expect(
      client({ maxAttempts: 2, retryBaseMs: 5 }).updateAttributes("person7@example.com", {
        Coder: "Active",
      }),
    ).resolves.toMatchObject({ attempts: 5 });
    sim.faults.add(tooMany);
    const started = performance.now();
    const error = await failureOf(
      client({ maxAttempts: 2, retryBaseMs: 5, maxRetryTimeMs: 300 }).updateAttributes(
        "person7@example.com",
        { Coder: "Active" },
      ),
    );
    expect(error.code).toBe("dx_unavailable");
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect((error as { attempts?: number }).attempts).toBeGreaterThan(2);
  });

  it("holds every request of the client back after a 429, not just the one that got it", async () => {
    sim.faults.add({
      match: /attributes\.update/,
      email: "person8@example.com",
      times: 1,
      status: 429,
      headers: { "retry-after": "1" },
      body: '{"ok":false,"error":"rate_limited"}',
    });
    let other: Promise<unknown> | null = null;
    const shared = client({
      onRequest: (event) => {
        // Another worker's write, started only once the 429 has been received.
        if (event.status === 429)
          setImmediate(() => {
            other = shared.updateAttributes("person9@example.com", { Coder: "Active" });
          });
      },
    });
    await shared.updateAttributes("person8@example.com", { Coder: "Active" });
    await other;
    const arrivals = sim.requests
      .filter((r) => r.key === "POST /users.attributes.update")
      .slice(-3);
    expect(arrivals).toHaveLength(3);
    const [limited, ...after] = arrivals.map((r) => r.at) as [number, number, number];
    for (const at of after) expect(at - limited).toBeGreaterThanOrEqual(900);
  });

  it("refuses a listing that does not advance, repeats a page, or runs past total_pages", async () => {
    const page = (n: number, next: number | null, emails: string[], totalPages = 3) =>
      JSON.stringify({
        ok: true,
        users: emails.map((email, i) => ({ id: `${n}-${i}-${email}`, email, attributes: [] })),
        next_page: next,
        total: 300,
        total_pages: totalPages,
      });
    const cases: [string, { skip?: number; body: string; times?: number }[], RegExp][] = [
      [
        "next_page that does not advance",
        [{ body: page(1, 1, ["a@x.io"]) }],
        /named page 1 as the next/,
      ],
      [
        // Without total_pages the pages are read one by one.
        "a repeated page",
        [
          { body: page(1, 2, ["a@x.io"]).replace(',"total":300,"total_pages":3', ""), times: 1 },
          { body: page(1, 3, ["a@x.io"]).replace(',"total":300,"total_pages":3', ""), times: 1 },
        ],
        /page 2 repeats page 1 \(the same users in the same order\)/,
      ],
      [
        "a next page past total_pages",
        [{ body: page(1, 2, ["a@x.io"], 1), times: 1 }],
        /past its own total_pages/,
      ],
      [
        "a listing that ends early",
        [
          { body: page(1, 2, ["a@x.io"]), times: 1 },
          { body: page(2, null, ["b@x.io"]), times: 1 },
          { body: page(3, null, ["c@x.io"]), times: 1 },
        ],
        /page 2 was the last, but page 1 reported 3 pages/,
      ],
    ];
    for (const [name, faults, message] of cases) {
      sim.faults.clear();
      for (const fault of faults) sim.faults.add({ match: /users\.list/, ...fault });
      const error = await failureOf(client().listUsers()).catch((e) => {
        throw new Error(`${name}: ${e}`);
      });
      expect(error.code, name).toBe("listing_incomplete");
      expect(error.message, name).toMatch(message);
    }
  });

  it.each<[string, (page: number) => object, RegExp, number]>([
    [
      "an empty page that names a next one",
      (p) => ({ users: [], next_page: p + 1 }),
      /page 1 listed nobody but named page 2 as the next one/,
      1,
    ],
    [
      "the same page over and over",
      (p) => ({ users: [{ email: "same@x.io", attributes: [] }], next_page: p + 1 }),
      /page 2 repeats page 1/,
      2,
    ],
    [
      "more pages than total_pages",
      (p) => ({
        users: [{ id: `u${p}`, email: `u${p}@x.io`, attributes: [] }],
        next_page: p + 1,
        ...(p === 1 ? { total_pages: 2 } : {}),
      }),
      /went on to page 3, but DX reported 2 pages/,
      3,
    ],
    [
      "more users than total",
      (p) => ({
        users: [{ id: `u${p}`, email: `u${p}@x.io`, attributes: [] }],
        next_page: p + 1,
        ...(p === 1 ? { total: 1 } : {}),
      }),
      /listed 2 users by page 2, but DX reported 1/,
      2,
    ],
  ])(
    "refuses a listing that never ends, within a few pages: %s",
    async (_, answer, message, pages) => {
      let requests = 0;
      const endless = await startLoopback((req, res) => {
        requests += 1;
        const page = Number(new URL(req.url ?? "/", "http://x").searchParams.get("page"));
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ ok: true, ...answer(page) }));
      });
      try {
        const error = await failureOf(
          new DxClient({ url: endless.url, token: "t", requestsPerMinute: 60_000 }).listUsers(),
        );
        expect(error.code).toBe("listing_incomplete");
        expect(error.message).toMatch(message);
        expect(requests).toBe(pages);
      } finally {
        await endless.close();
      }
    },
  );

  it("says DX_API_URL is wrong when a 404 is not DX's answer, without retrying", async () => {
    const coder = await CoderSimulator.start();
    try {
      const error = await failureOf(
        new DxClient({ url: coder.url, token: "t", retryBaseMs: 5 }).listUsers(),
      );
      expect(error.code).toBe("dx_url_invalid");
      expect(error.message).toContain("Route not found.");
      expect(error.message).toContain("DX_API_URL");
      expect(coder.requests).toHaveLength(1);
    } finally {
      await coder.close();
    }
  });

  it("never follows a redirect, so the token never leaves for another host", async () => {
    const elsewhere = await startLoopback((_, res) =>
      res.end('{"ok":true,"users":[],"next_page":null}'),
    );
    try {
      sim.faults.add({
        match: /users\.list/,
        status: 301,
        headers: { location: `${elsewhere.url}/v2/users.list?page=1&page_size=100` },
        body: "",
      });
      const error = await failureOf(client().listUsers());
      expect(error.code).toBe("dx_url_invalid");
      expect(error.message).toContain(`set DX_API_URL to ${elsewhere.url}/v2`);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it("refuses a 200 that is not JSON (a login wall) at once, naming the fix", async () => {
    sim.faults.add({
      match: /users\.list/,
      status: 200,
      contentType: "text/html",
      body: "<html><title>Sign in to Okta</title></html>",
    });
    const error = await failureOf(client().listUsers());
    expect(error.code).toBe("dx_url_invalid");
    expect(error.message).toMatch(/text\/html, not JSON .*check DX_API_URL/);
    expect((error as { attempts?: number }).attempts).toBe(1);
  });

  it("refuses a certificate it cannot trust at once, pointing at NODE_EXTRA_CA_CERTS", async () => {
    const tls = await startLoopback((_, res) => res.end("{}"), { tls: true });
    try {
      const error = await failureOf(
        new DxClient({ url: tls.url, token: "t", retryBaseMs: 5 }).listUsers(),
      );
      expect(error.code).toBe("dx_tls");
      expect(error.message).toContain("NODE_EXTRA_CA_CERTS");
      expect((error as { attempts?: number }).attempts).toBe(1);
    } finally {
      await tls.close();
    }
  });

  it("goes through HTTP_PROXY, and around it for NO_PROXY hosts", async () => {
    const proxy = await startLoopback((_, res) => res.end(), { proxy: true });
    try {
      await client({ proxy: { httpProxy: proxy.url } }).listAttributeGroups();
      expect(proxy.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        `CONNECT ${new URL(sim.url).host}`,
      ]);
      await client({ proxy: { httpProxy: proxy.url, noProxy: "127.0.0.1" } }).listAttributeGroups();
      expect(proxy.requests).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
