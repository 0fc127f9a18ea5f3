import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { CoderClient } from "../clients/coder-client";
import { DxClient } from "../clients/dx-client";
import { closeAfterTest } from "../testing/simulated-sync";
import { diagnose } from "./doctor";
import { platformxTokenProblem } from "./platformx";

const PROBE = { maxAttempts: 1, timeoutMs: 5000 };

async function simulators() {
  const coder = await CoderSimulator.start();
  const dx = await DxSimulator.start();
  closeAfterTest(() => coder.close());
  closeAfterTest(() => dx.close());
  return { coder, dx };
}

function checksFor(
  coder: { url: string; token: string } | null,
  dx: { url: string; token: string } | null,
) {
  return diagnose({
    configSource: "defaults (no config file)",
    // The simulators' url is a getter: named, not spread.
    coder: coder ? new CoderClient({ url: coder.url, token: coder.token, ...PROBE }) : null,
    dx: dx ? new DxClient({ url: dx.url, token: dx.token, ...PROBE }) : null,
    checkDatabase: () => "writable (memory)",
    now: new Date(),
  });
}

const line = (c: { ok: boolean; name: string; detail: string }) =>
  `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}`;

describe("doctor", () => {
  it("passes every check on a healthy set-up, writing nothing to DX", async () => {
    const { coder, dx } = await simulators();
    const checks = await checksFor(coder, dx);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map(line)).toContain("✓ coder token: valid, user coder-dx-bot (owner)");
    expect(dx.writes).toEqual([]);
  });

  it("names each refused token with its fix, and never quotes it", async () => {
    const { coder, dx } = await simulators();
    const checks = await checksFor(
      { url: coder.url, token: "AbCdEf1234-wrongwrongwrongwrongwr" },
      { url: dx.url, token: "nope-nope-nope" },
    );
    const text = checks.map(line).join("\n");
    expect(text).toMatch(/✗ coder token: .*CODER_SESSION_TOKEN was refused/);
    expect(text).toMatch(/✗ dx token \(users:read\): .*DX_API_TOKEN was refused/);
    expect(text).not.toContain("wrongwrong");
    expect(text).not.toContain("nope-nope");
  });

  it("says which role the Coder token's user lacks", async () => {
    const { coder, dx } = await simulators();
    coder.updateUser(coder.findUser("coder-dx-bot").id, { roles: [] });
    coder.ownerRole = "member";
    const checks = await checksFor(coder, dx);
    expect(checks.map(line).join("\n")).toMatch(
      /✗ coder token: coder-dx-bot has site roles \[member\]; .*Owner, Auditor or Template Admin/,
    );
  });

  it("names an unreachable Coder and what to check", async () => {
    const { dx } = await simulators();
    const closed = await CoderSimulator.start();
    await closed.close();
    const checks = await checksFor({ url: closed.url, token: "AbCdEf1234-anything-at-all" }, dx);
    const reachable = checks.find((c) => c.name === "coder reachable");
    expect(reachable).toMatchObject({ ok: false, fix: expect.stringContaining("check CODER_URL") });
    expect(reachable?.detail).toMatch(/ECONNREFUSED/);
  });

  it("says how to point Coder's notifications at serve, without the secret, and whether the status pass runs", async () => {
    const checks = await diagnose({
      configSource: "test",
      coder: null,
      dx: null,
      checkDatabase: () => "ok",
      now: new Date(),
      live: { publicUrl: "https://coder-dx.example.com", hookSecret: true, statusEveryMs: 300_000 },
    });
    expect(checks.map(line)).toEqual(
      expect.arrayContaining([
        "✓ live: Coder's notifications: configured; on the Coder server set CODER_NOTIFICATIONS_METHOD=webhook and CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT=https://coder-dx.example.com/v1/hooks/coder/<live.hookSecret>",
        "✓ live: status pass: every 5m in serve",
      ]),
    );
  });

  it("checks PlatformX's token for shape only, and names one DX refused", async () => {
    const base = { configSource: "test", coder: null, dx: null, checkDatabase: () => "ok" };
    const events = ["coder.user.suspended", "coder.user.activated"];
    const lines = async (platformx: NonNullable<Parameters<typeof diagnose>[0]["platformx"]>) =>
      (await diagnose({ ...base, now: new Date(), platformx })).map(line).slice(2);
    expect(await lines({ token: "off", problem: null, events: [], refused: null })).toContain(
      "✓ platformx: off (set platformx.token, e.g. ${DX_PLATFORMX_TOKEN}, to a PlatformX project token to send events)",
    );
    expect(await lines({ token: "set", problem: null, events, refused: null })).toContain(
      "✓ platformx: token set (its shape checked; no event is sent to probe it); sends coder.user.suspended, coder.user.activated",
    );
    expect(
      (
        await lines({
          token: "set",
          problem: platformxTokenProblem("dx-org-token-0123456789", "dx-org-token-0123456789"),
          events,
          refused: null,
        })
      ).join("\n"),
    ).toMatch(
      /✗ platformx token: platformx.token is DX_API_TOKEN: events.track takes a PlatformX project token/,
    );
    expect(
      (
        await lines({
          token: "set",
          problem: null,
          events,
          refused: { at: "2026-12-06T10:00:00.000Z", message: "DX answered 401" },
        })
      ).join("\n"),
    ).toMatch(/✗ platformx token: DX refused it at 2026-12-06T10:00:00.000Z \(DX answered 401\)/);
  });

  it("reports the settings that are missing", async () => {
    const checks = await checksFor(null, null);
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["coder", "dx"]);
  });
});
