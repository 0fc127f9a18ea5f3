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
  let firstRunId: string;
  let someone: string;

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
    firstRunId = service.launchRun({ trigger: "api", dryRun: false, force: false, emails: [] }).id;
    await until(() => store.getRun(firstRunId)?.finishedAt != null);
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

  it("signs in, draws the overview's charts, opens a run and filters its changes", async () => {
    const page = await signIn(OPERATOR);
    await expect
      .poll(() => page.locator('[data-rendered="true"]').count())
      .toBeGreaterThanOrEqual(2);
    expect(await page.locator("canvas").count()).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.getByText("Last run").count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });

    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByRole("link", { name: firstRunId, exact: true }).click();
    await page.waitForURL(`${service.url}/runs/${firstRunId}`);
    await page.screenshot({ path: `${SCREENSHOTS}run.png`, fullPage: true });
    await page.getByLabel("Outcome").selectOption("applied");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=applied/);
    const outcomes = await page.locator("tbody tr td:nth-child(5)").allTextContents();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.startsWith("applied"))).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}run-filtered.png`, fullPage: true });
    await page.close();
  });

  it("finds a person and reads their timeline", async () => {
    const page = await signIn(VIEWER);
    await page.getByRole("link", { name: "People" }).click();
    await page.getByLabel("Email").fill(someone);
    await page.getByRole("button", { name: "Find" }).click();
    await page.waitForURL(/people\?email=/);
    expect(await page.getByRole("heading", { name: "Attributes now" }).count()).toBe(1);
    const rows = await page.locator("tbody tr").allTextContents();
    expect(rows.some((r) => r.includes("Coder"))).toBe(true);
    expect(rows.some((r) => r.includes(someone) && r.includes("applied"))).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}person.png`, fullPage: true });
    await page.close();
  });

  it("starts a dry run as an operator, and refuses a viewer", async () => {
    const operator = await signIn(OPERATOR);
    await operator.getByRole("button", { name: "Dry run" }).click();
    await operator.waitForURL(/\/runs\/\d+$/);
    const id = new URL(operator.url()).pathname.split("/").at(-1) as string;
    await until(() => store.getRun(id)?.finishedAt != null);
    expect(store.getRun(id)).toMatchObject({ dryRun: true, trigger: "api" });
    await operator.reload();
    expect(await operator.getByText("Dry run ·").count()).toBe(1);
    await operator.screenshot({ path: `${SCREENSHOTS}dry-run.png`, fullPage: true });

    const viewer = await signIn(VIEWER);
    expect(await viewer.getByRole("button", { name: "Sync now" }).count()).toBe(0);
    expect(await viewer.getByText("needs the operator role").count()).toBe(1);
    // A hand-made form with the viewer's own CSRF token is still refused.
    const csrf = await viewer.locator('input[name="csrf"]').first().inputValue();
    const forged = await viewer.request.post(`${service.url}/actions/run`, { form: { csrf } });
    const status = forged.status();
    expect(status).toBe(403);
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
