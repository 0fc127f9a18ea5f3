import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CoderClient, DxClient, silentLogger } from "@coder-dx/core";
import { aConfig } from "@coder-dx/core/testing";
import { CoderSimulator, DxSimulator, seedOrganisation } from "@coder-dx/simulators";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseApiTokens } from "../auth";
import { Metrics } from "../metrics";
import { type Service, startService } from "../service";

/** Debian's chromium (`.ci/run` installs it); a test tool's own browser download fails here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The README names this folder: every page the test visits, as a PNG. */
export const SCREENSHOTS = fileURLToPath(new URL("../../screenshots/", import.meta.url));
const OPERATOR = "operator-token-0123456789abcdef";
const VIEWER = "viewer-token-0123456789abcdef";

const present = existsSync(CHROMIUM);
if (!present)
  console.warn(
    `console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );

describe.skipIf(!present)("the web console in a real Chromium", () => {
  let coder: CoderSimulator;
  let dx: DxSimulator;
  let service: Service;
  let store: SqliteSyncStore;
  let browser: Browser;
  let secondRunId: string;
  let someone: string;
  let heavy: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    coder = await CoderSimulator.start();
    dx = await DxSimulator.start();
    const org = seedOrganisation(coder, dx, { people: 60 });
    someone = (org.people.find((p) => p.status === "active")?.email ?? "").toLowerCase();
    const config = aConfig({
      coder: { requestsPerMinute: 60_000, retryBaseMs: 1 },
      dx: { requestsPerMinute: 60_000, retryBaseMs: 1 },
    });
    store = new SqliteSyncStore(openDatabase(":memory:"));
    service = await startService({
      host: "127.0.0.1",
      port: 0,
      syncDeps: {
        coder: new CoderClient({ ...config.coder, url: coder.url, token: coder.token }),
        dx: new DxClient({ ...config.dx, url: dx.url, token: dx.token }),
        store,
        log: silentLogger,
      },
      config,
      tokens: parseApiTokens([`operator:${OPERATOR}`, `viewer:${VIEWER}`], "test"),
      metrics: new Metrics(),
      log: silentLogger,
      schedule: null,
    });
    const firstRunId = service.launchRun({
      trigger: "api",
      dryRun: false,
      force: false,
      emails: [],
    }).id;
    await until(() => store.getRun(firstRunId)?.finishedAt != null);
    // Someone starts using Coder heavily: the second run changes their usage level alone.
    const idle = org.people.find((p) => p.status === "active" && p.usageSeconds === 0);
    if (!idle) throw new Error("the seeded org has nobody idle");
    coder.updateUser(idle.id, { usageSeconds: 60 * 3600 });
    heavy = idle.email.toLowerCase();
    secondRunId = service.launchRun({ trigger: "api", dryRun: false, force: false, emails: [] }).id;
    await until(() => store.getRun(secondRunId)?.finishedAt != null);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await coder?.close();
    await dx?.close();
  });

  async function signIn(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${service.url}/`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${service.url}/`);
    return page;
  }

  /** The page fits 1280 px: nothing wider than the window (a table that runs past its panel). */
  async function fits(page: Page): Promise<void> {
    // Evaluated in the page (a string: this package's types have no DOM).
    const widths = (await page.evaluate(
      "({ page: document.documentElement.scrollWidth, window: window.innerWidth })",
    )) as { page: number; window: number };
    expect(widths.page).toBeLessThanOrEqual(widths.window);
  }

  it("leads with when DX was last brought up to date, in each group's order, and fits 1280 px", async () => {
    const page = await signIn(OPERATOR);
    await expect
      .poll(() => page.locator('[data-rendered="true"]').count())
      .toBeGreaterThanOrEqual(2);
    expect(await page.locator("canvas").count()).toBeGreaterThanOrEqual(2);
    expect(
      await page
        .getByText(/^Last brought up to date \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC by run/)
        .count(),
    ).toBe(1);
    expect(await page.getByRole("heading", { name: "Needs attention" }).count()).toBe(1);
    // The cohort in the group's own order, with totals and shares.
    const coder = page.locator("table", { has: page.locator("caption", { hasText: /^Coder$/ }) });
    const values = (await coder.locator("tbody td:first-child").allTextContents()).map((t) =>
      t.trim(),
    );
    expect(values).toEqual(["Active", "Dormant", "Suspended"]);
    expect(await coder.locator("tfoot").textContent()).toMatch(/total\s*\d+\s*100%/);
    // A run over a day's record: the chart starts at the first recorded day, not 89 days of zeros.
    expect(
      await page.getByRole("heading", { name: /^Coder: since \d{4}-\d{2}-\d{2}$/ }).count(),
    ).toBe(1);
    // Nothing halted: nothing to force.
    expect(await page.getByRole("button", { name: "Force past brakes" }).count()).toBe(0);
    await fits(page);
    await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });
    await page.close();
  });

  it("shows a run's changes as what changes, to the second, and fits 1280 px", async () => {
    const page = await signIn(OPERATOR);
    await page.goto(`${service.url}/runs/${secondRunId}`);
    const cells = await page.locator("table.changes tbody tr td:nth-child(3)").allTextContents();
    expect(cells.length).toBeGreaterThan(0);
    // Only the group that changed: never the whole state on both sides.
    expect(cells.some((c) => c.includes("Coder usage level: None → Heavy"))).toBe(true);
    expect(cells.every((c) => !c.includes("Coder: Active"))).toBe(true);
    const times = await page.locator("table.changes tbody td.when").allTextContents();
    expect(times.every((t) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/.test(t))).toBe(true);
    expect(await page.locator("table.changes thead th").allTextContents()).toEqual([
      "at",
      "person",
      "change",
      "outcome",
      "why",
    ]);
    await fits(page);
    await page.screenshot({ path: `${SCREENSHOTS}run.png`, fullPage: true });
    await page.getByLabel("Outcome").selectOption("applied");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=applied/);
    const outcomes = await page.locator("table.changes tbody tr td:nth-child(4)").allTextContents();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o === "applied")).toBe(true);
    await page.close();
  });

  it("finds people by part of an email, filters them by a value, and reads one's timeline and why", async () => {
    const page = await signIn(VIEWER);
    await page.getByRole("link", { name: "People" }).click();
    const prefix = someone.slice(0, 4);
    await page.getByLabel("Find").fill(prefix);
    await page.getByRole("button", { name: "Find" }).click();
    await page.waitForURL(/people\?q=/);
    const found = await page.locator("tbody tr td:first-child").allTextContents();
    expect(found).toContain(someone);
    expect(found.every((e) => e.includes(prefix))).toBe(true);
    await page.getByLabel("Holding").selectOption("Coder=Suspended");
    await page.getByLabel("Find").fill("");
    await page.getByRole("button", { name: "Find" }).click();
    await page.waitForURL(/filter=Coder%3DSuspended/);
    const suspended = await page.locator("tbody tr td:nth-child(3)").allTextContents();
    expect(suspended.length).toBeGreaterThan(0);
    expect(suspended.every((v) => v.trim() === "Suspended")).toBe(true);
    await fits(page);
    await page.screenshot({ path: `${SCREENSHOTS}people.png`, fullPage: true });

    await page.goto(`${service.url}/people?email=${encodeURIComponent(heavy)}`);
    expect(await page.getByRole("heading", { name: "Attributes now" }).count()).toBe(1);
    expect(await page.getByText(/^Why: Heavy: \d/).count()).toBe(1);
    const rows = await page.locator("table.changes tbody tr").allTextContents();
    expect(
      rows.some((r) => r.includes("Coder usage level: None → Heavy") && r.includes("applied")),
    ).toBe(true);
    await fits(page);
    await page.screenshot({ path: `${SCREENSHOTS}person.png`, fullPage: true });
    await page.close();
  });

  it("starts a dry run as an operator, refreshes until it ends, and marks it a dry run; refuses a viewer", async () => {
    const operator = await signIn(OPERATOR);
    const gate = dx.faults.gate({ match: /users\.list/ });
    await operator.getByRole("button", { name: "Dry run" }).click();
    await operator.waitForURL(/\/runs\/\d+$/);
    const id = new URL(operator.url()).pathname.split("/").at(-1) as string;
    // Running: the page says so, and reloads itself (plain HTML).
    expect(await operator.locator('meta[http-equiv="refresh"]').getAttribute("content")).toBe("2");
    expect(await operator.getByText("This run is in progress").count()).toBe(1);
    gate.release();
    await until(() => store.getRun(id)?.finishedAt != null);
    expect(store.getRun(id)).toMatchObject({ dryRun: true, trigger: "console" });
    await expect
      .poll(() => operator.locator('meta[http-equiv="refresh"]').count(), { timeout: 10_000 })
      .toBe(0);
    expect(
      await operator
        .getByText(/^would write \d+ (person|people); nothing was written to DX$/)
        .count(),
    ).toBe(1);
    expect(await operator.locator(".badge.dry").count()).toBe(1);
    await operator.screenshot({ path: `${SCREENSHOTS}dry-run.png`, fullPage: true });
    await operator.goto(`${service.url}/`);
    expect(await operator.getByText(`Latest dry run: run ${id}`).count()).toBe(1);

    const viewer = await signIn(VIEWER);
    expect(await viewer.getByRole("button", { name: "Sync now" }).count()).toBe(0);
    expect(await viewer.getByText("needs the operator role").count()).toBe(1);
    // A hand-made form with the viewer's own CSRF token is still refused.
    const csrf = await viewer.locator('input[name="csrf"]').first().inputValue();
    const forged = await viewer.request.post(`${service.url}/actions/run`, { form: { csrf } });
    expect(forged.status()).toBe(403);
    await viewer.screenshot({ path: `${SCREENSHOTS}viewer.png`, fullPage: true });

    await viewer.getByRole("button", { name: "Sign out" }).click();
    await viewer.waitForURL(`${service.url}/signin`);
    await viewer.goto(`${service.url}/runs`);
    expect(new URL(viewer.url()).pathname).toBe("/signin");
    await viewer.screenshot({ path: `${SCREENSHOTS}signin.png` });
    await operator.close();
    await viewer.close();
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!done()) throw new Error("timed out waiting for the run to finish");
}
