import { describe, expect, it } from "vitest";
import { createTestApp, signInOn, TOKENS } from "../testing";

const signedIn = () => signInOn(createTestApp({ hookSecret: "s".repeat(40) }), TOKENS.viewer);

describe("the console's Live page", () => {
  it("lists Coder's notifications with what each led to, and the median and p95 from receipt to DX", async () => {
    const t = await signedIn();
    const received = Date.parse("2026-12-06T10:00:00.000Z");
    for (let i = 0; i < 10; i++) {
      const { id } = t.store.recordNotification({
        msgId: `m-${i}`,
        receivedAt: new Date(received + i * 60_000).toISOString(),
        name: "User account suspended",
        templateId: "b02ddd82-4733-4d02-a2d7-c36f3598997d",
        kind: "user_suspended",
        subject: { userId: `u-${i}`, username: `p${i}`, email: `p${i}@example.com` },
        details: null,
        outcome: "waiting",
        note: null,
      });
      // i + 1 seconds from receipt to DX: median 5 s, p95 10 s.
      t.store.settleNotifications([
        {
          id,
          outcome: "run",
          runId: "3",
          note: `p${i}@example.com: Coder Suspended`,
          handledAt: new Date(received + i * 60_000 + 500).toISOString(),
          confirmedAt: new Date(received + i * 60_000 + (i + 1) * 1000).toISOString(),
        },
      ]);
    }
    const response = await t.get("/live");
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("Median <strong>5.0 s</strong> · p95 <strong>10.0 s</strong>");
    expect(page).toContain('<a href="/runs/3">run 3</a>');
    expect(page).toContain("p9@example.com");
    expect(page).toContain("taken at /v1/hooks/coder/&lt;live.hookSecret&gt;");
    expect(page).not.toContain("s".repeat(40));
  });
});
