import type { NewEvent } from "@coder-dx/core";
import { describe, expect, it } from "vitest";
import { createTestApp, signInOn, TOKENS } from "../testing";

const event = (key: string, email: string | null, at: string): NewEvent => ({
  key,
  name: "coder.user.suspended",
  email,
  timestamp: String(Date.parse(at) / 1000),
  metadata: { source: "pass" },
  source: "pass",
  subjectUserId: key,
  notificationId: null,
  runId: "7",
  outcome: email ? "pending" : "invalid",
  error: email ? null : { code: "identity_invalid", message: "excluded: svc-*" },
  recordedAt: at,
});

describe("the console's Events page", () => {
  it("shows what PlatformX was sent, by outcome, and explains unknown", async () => {
    const t = await signInOn(
      createTestApp({ platformxEvents: ["coder.user.suspended", "coder.user.created"] }),
      TOKENS.viewer,
    );
    const [lost] = t.store.recordEvents([
      event("a", "ann@example.com", "2026-12-06T10:00:00.000Z"),
      event("b", null, "2026-12-06T10:01:00.000Z"),
    ]);
    t.store.claimEvent(lost as string, 0, "2026-12-06T10:00:01.000Z", "h:1:1:x");
    t.store.settleEvent(
      lost as string,
      "unknown",
      { code: "interrupted", message: "cut short" },
      "t",
    );
    const response = await t.get("/events");
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("Sends coder.user.suspended, coder.user.created");
    expect(page).toContain('<a href="/events?outcome=unknown">1 unknown</a>');
    expect(page).toContain('<a href="/events?outcome=invalid">1 invalid</a>');
    expect(page).toContain("2026-12-06 10:00:00");
    expect(page).toContain("DX may have it, so it is not sent again");
    const invalid = await (await t.get("/events?outcome=invalid")).text();
    expect(invalid).toContain("excluded: svc-*");
    expect(invalid).not.toContain("ann@example.com");
    const bad = await t.get("/events?outcome=lost");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("outcome &quot;lost&quot;: one of pending, sent");
  });

  it("says PlatformX is off when it is", async () => {
    const t = await signInOn(createTestApp(), TOKENS.viewer);
    expect(await (await t.get("/events")).text()).toContain("PlatformX is off");
  });
});
