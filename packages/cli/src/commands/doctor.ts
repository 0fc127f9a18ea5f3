import { CoderClient, DxClient, diagnose, resolveSettings } from "@coder-dx/core";
import type { Command } from "commander";
import { type Cli, openStore } from "../context";

/** Short timeouts and no retries: a doctor answers in seconds, even for a dead host. */
const PROBE = { maxAttempts: 1, timeoutMs: 5000 };

export function registerDoctor(program: Command, cli: Cli): void {
  program
    .command("doctor")
    .description(
      "check the config, Coder and DX reachability, tokens and permissions, and the database",
    )
    .action(async () => {
      const settings = resolveSettings(cli.globals(), cli.env, { requireRemotes: false });
      const checks = await diagnose({
        configSource: settings.configPath
          ? `valid (${settings.configPath})`
          : "defaults (no config file)",
        coder:
          settings.coderUrl && settings.coderToken
            ? new CoderClient({ url: settings.coderUrl, token: settings.coderToken, ...PROBE })
            : null,
        dx: settings.dxToken
          ? new DxClient({ url: settings.dxUrl, token: settings.dxToken, ...PROBE })
          : null,
        checkDatabase: () => {
          // Opening for writing proves the file (and its directory, for WAL) can be written.
          openStore(settings).close();
          return `writable (${settings.dbPath})`;
        },
        now: new Date(),
      });
      for (const c of checks) {
        cli.out.line(
          `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}`,
        );
      }
      const failed = checks.filter((c) => !c.ok).length;
      cli.out.line(failed === 0 ? "\nAll checks passed." : `\n${failed} check(s) failed.`);
      process.exitCode = failed === 0 ? 0 : 1;
    });
}
