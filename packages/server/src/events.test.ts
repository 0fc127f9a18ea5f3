import type { NewEvent } from "@coder-dx/core";
import { describe, expect, it } from "vitest";
import { createTestApp, TOKENS } from "./testing";

/** A JSON answer, untyped: each test asserts the fields it cares about. */
const json = async (response: Response): Promise<any> => response.json();

const event = (key: string, name: string, email: string | null, recordedAt: string): NewEvent => ({
  key,
  name,
  email,
  timestamp: String(Math.floor(Date.parse(recordedAt) / 1000)),
  metadata: { source: "webhook", username: email?.split("@")[0] ?? "svc" },
  source: "webhook",
  subjectUserId: key,
  notificationId: null,
  runId: null,
  outcome: email ? "pending" : "invalid",
  error: email ? null : { code: "identity_invalid", message: "excluded: svc-*" },
  recordedAt,
});

function withEvents() {
  const t = createTestApp();
  const [sent] = t.store.recordEvents([
    event("a", "coder.user.suspended", "ann@example.com", "2026-12-01T10:00:00.000Z"),
  ]);
  t.store.recordEvents([
    event("b", "coder.workspace.created", null, "2026-12-02T10:00:00.000Z"),
    event("c", "coder.user.created", "bea@example.com", "2026-12-03T10:00:00.000Z"),
  ]);
  t.store.claimEvent(sent as string, 0, "2026-12-01T10:00:01.000Z", "host:1:1:x");
  t.store.settleEvent(sent as string, "sent", null, "2026-12-01T10:00:02.000Z");
  return t;
}

describe("GET /v1/events", () => {
  it("lists PlatformX's outbox newest first, filtered and paged, for a viewer", async () => {
    const t = withEvents();
    const all = await json(await t.call("GET", "/v1/events", TOKENS.viewer));
    expect(all.events.map((e: { key: string }) => e.key)).toEqual(["c", "b", "a"]);
    expect(all.events[2]).toMatchObject({
      name: "coder.user.suspended",
      outcome: "sent",
      attempts: 1,
      sentAt: "2026-12-01T10:00:02.000Z",
    });
    const invalid = await json(await t.call("GET", "/v1/events?outcome=invalid", TOKENS.viewer));
    expect(invalid.events).toMatchObject([
      { key: "b", email: null, error: { message: "excluded: svc-*" } },
    ]);
    const page = await json(
      await t.call("GET", "/v1/events?limit=1&since=2026-12-02", TOKENS.viewer),
    );
    expect(page.events.map((e: { key: string }) => e.key)).toEqual(["c"]);
    const next = await json(
      await t.call(
        "GET",
        `/v1/events?limit=1&since=2026-12-02&cursor=${page.nextCursor}`,
        TOKENS.viewer,
      ),
    );
    expect(next.events.map((e: { key: string }) => e.key)).toEqual(["b"]);
    expect(next.nextCursor).toBeNull();
    const ann = await json(await t.call("GET", "/v1/events?email=ANN@example.com", TOKENS.viewer));
    expect(ann.events.map((e: { key: string }) => e.key)).toEqual(["a"]);
  });

  it("names a bad parameter, and refuses a caller without a token", async () => {
    const t = withEvents();
    const bad = await t.call("GET", "/v1/events?outcome=lost", TOKENS.viewer);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toMatch(/^outcome: /);
    expect((await t.call("GET", "/v1/events?since=yesterday", TOKENS.viewer)).status).toBe(400);
    expect((await t.call("GET", "/v1/events", null)).status).toBe(401);
  });

  it("counts the outbox by name and outcome in /metrics", async () => {
    const t = withEvents();
    const text = await (await t.call("GET", "/metrics", TOKENS.viewer)).text();
    expect(text).toContain(
      'coder_dx_platformx_events{name="coder.user.suspended",outcome="sent"} 1',
    );
    expect(text).toContain(
      'coder_dx_platformx_events{name="coder.workspace.created",outcome="invalid"} 1',
    );
    expect(text).toContain(
      'coder_dx_platformx_events{name="coder.user.created",outcome="pending"} 1',
    );
  });
});
