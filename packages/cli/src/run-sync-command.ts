import { runSync, type SyncOptions, type SyncResult } from "@coder-dx/core";
import { type Cli, createSyncDeps, loadSettings } from "./context";
import { exitCodeForRun } from "./exit-codes";
import { progressDisplay } from "./progress";
import { stopOnSignals } from "./signals";

type RunChoices = Pick<SyncOptions, "dryRun" | "force" | "emails" | "expectedDigest"> & {
  /** `status` for `sync --status`; a CLI run otherwise. */
  trigger?: "cli" | "status";
};

/**
 * One run from the CLI (`sync`, `apply`): the store and clients, Ctrl-C/SIGTERM handling,
 * progress on stderr, and the exit code the run (or the signal that stopped it) calls for.
 */
export async function runFromCli(
  cli: Cli,
  choices: RunChoices,
): Promise<SyncResult & { exitCode: number }> {
  const settings = loadSettings(cli, true);
  const deps = createSyncDeps(cli, settings);
  const signals = stopOnSignals(
    (text) => cli.out.note(text),
    cli.exitNow,
    settings.config.server.drainMs,
  );
  const progress = progressDisplay(cli.out, process.stderr.isTTY === true);
  const result = await runSync(deps, {
    config: settings.config,
    ...choices,
    trigger: choices.trigger ?? "cli",
    signal: signals.signal,
    abortSignal: signals.abortSignal,
    onProgress: (p) => progress.update(p),
  }).finally(() => progress.stop());
  signals.dispose();
  deps.close();
  const { run } = result;
  return { ...result, exitCode: signals.exitCode() ?? exitCodeForRun(run) };
}
