import { CoderClient, DxClient, diagnose, proxyFromEnv } from "@coder-dx/core";
import type { Command } from "commander";
import { type Cli, loadSettings, openStore } from "../context";
import { describePostgresUrl } from "@coder-dx/storage";
import { isPostgresUrl } from "@coder-dx/core";
import { EXIT } from "../exit-codes";

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
      });
      for (const c of checks) {
        cli.out.line(
          `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}`,
        );
      }
      const failed = checks.filter((c) => !c.ok).length;
      cli.out.line(failed === 0 ? "\nAll checks passed." : `\n${failed} check(s) failed.`);
      // A setting that is missing is a usage error, as for every other command (exit 2).
      const missing = !settings.coderUrl || !settings.coderToken || !settings.dxToken;
      process.exitCode = failed === 0 ? EXIT.ok : missing ? EXIT.usage : EXIT.failed;
    });
}
