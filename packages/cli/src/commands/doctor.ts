import {
  CoderClient,
  DxClient,
  diagnose,
  followedEvents,
  platformxTokenProblem,
  proxyFromEnv,
  type Settings,
} from "@coder-dx/core";
import type { Command } from "commander";
import { type Cli, loadSettings, openStore } from "../context";
import { describePostgresUrl } from "@coder-dx/storage";
import { isPostgresUrl } from "@coder-dx/core";
import { EXIT } from "../exit-codes";
import { plural } from "../words";

/** Short timeouts and no retries: a doctor answers in seconds, even for a dead host. */
const PROBE = { maxAttempts: 1, timeoutMs: 5000 };

export function registerDoctor(program: Command, cli: Cli): void {
  program
    .command("doctor")
    .description(
      "check the config, Coder and DX reachability, tokens and permissions, and the database",
    )
    .action(async () => {
      const settings = loadSettings(cli, false);
      const probe = { ...PROBE, proxy: proxyFromEnv(cli.env) };
      const checks = await diagnose({
        configSource: settings.configPath
          ? `valid (${settings.configPath})`
          : "defaults (no config file)",
        coder:
          settings.coderUrl && settings.coderToken
            ? new CoderClient({ url: settings.coderUrl, token: settings.coderToken, ...probe })
            : null,
        dx: settings.dxToken
          ? new DxClient({ url: settings.dxUrl, token: settings.dxToken, ...probe })
          : null,
        checkDatabase: () => {
          // Opening for writing proves the file (and its directory, for WAL) can be written;
          // for Postgres, that the server answers and the schema is migrated.
          openStore(settings).close();
          return isPostgresUrl(settings.dbPath)
            ? `reachable and migrated (${describePostgresUrl(settings.dbPath)})`
            : `writable (${settings.dbPath})`;
        },
        now: new Date(),
        live: {
          publicUrl: settings.config.publicUrl?.replace(/\/+$/, "") ?? null,
          hookSecret: settings.config.live.hookSecret !== null,
          statusEveryMs: settings.config.live.statusEvery,
        },
        platformx: {
          token: settings.config.platformx.token === null ? "off" : "set",
          problem: platformxTokenProblem(settings.config.platformx.token, settings.dxToken),
          events: [...followedEvents(settings.config).values()],
          refused: lastRefusal(settings),
        },
      });
      for (const c of checks) {
        const mark = c.ok ? cli.paint("green", "✓") : cli.paint("red", "✗");
        cli.out.line(`${mark} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}`);
      }
      const failed = checks.filter((c) => !c.ok).length;
      cli.out.line(failed === 0 ? "\nAll checks passed." : `\n${plural(failed, "check")} failed.`);
      // A setting that is missing is a usage error, as for every other command (exit 2).
      const missing = !settings.coderUrl || !settings.coderToken || !settings.dxToken;
      process.exitCode = failed === 0 ? EXIT.ok : missing ? EXIT.usage : EXIT.failed;
    });
}

/**
 * DX's refusal of the PlatformX token, as the outbox last recorded it, unless an event was sent
 * since (a token fixed). Null when none, or the database cannot be read (its own check says so).
 */
function lastRefusal(settings: Settings): { at: string; message: string } | null {
  if (settings.config.platformx.token === null) return null;
  try {
    const store = openStore(settings, { readonly: true });
    try {
      const refused = store
        .listEvents({ outcome: "rejected", limit: 50 })
        .items.find((e) => e.error?.code === "dx_unauthorized");
      const sent = store.listEvents({ outcome: "sent", limit: 1 }).items[0];
      if (!refused || (sent && Number(sent.id) > Number(refused.id))) return null;
      return { at: refused.recordedAt, message: refused.error?.message ?? "401" };
    } finally {
      store.close();
    }
  } catch {
    return null;
  }
}
