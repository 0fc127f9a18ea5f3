import {
  CoderClient,
  DxClient,
  type RequestEvent,
  type Logger,
  resolveSettings,
  type Settings,
  type SyncDeps,
} from "@coder-dx/core";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";
import { stderrLogger } from "./logger";
import { type Output, processOutput } from "./output";

export interface GlobalOptions {
  config?: string;
  db?: string;
}

/** What every command receives: where to write, the environment, and how to reach the world. */
export interface Cli {
  out: Output;
  env: NodeJS.ProcessEnv;
  log: Logger;
  globals(): GlobalOptions;
}

export function processCli(globals: () => GlobalOptions): Cli {
  return { out: processOutput(), env: process.env, log: stderrLogger(), globals };
}

export function loadSettings(cli: Cli, requireRemotes: boolean): Settings {
  return resolveSettings(cli.globals(), cli.env, { requireRemotes });
}

export function openStore(settings: Settings): SqliteSyncStore {
  return new SqliteSyncStore(openDatabase(settings.dbPath));
}

export function createClients(
  settings: Settings,
  hooks: { onRequest?: (event: RequestEvent) => void } = {},
) {
  const config = settings.config;
  return {
    coder: new CoderClient({
      ...hooks,
      url: settings.coderUrl,
      token: settings.coderToken,
      requestsPerMinute: config.coder.requestsPerMinute,
      timeoutMs: config.coder.timeoutMs,
      maxAttempts: config.coder.maxAttempts,
      retryBaseMs: config.coder.retryBaseMs,
    }),
    dx: new DxClient({
      ...hooks,
      url: settings.dxUrl,
      token: settings.dxToken,
      requestsPerMinute: config.dx.requestsPerMinute,
      timeoutMs: config.dx.timeoutMs,
      maxAttempts: config.dx.maxAttempts,
      retryBaseMs: config.dx.retryBaseMs,
      // Read-back pages share the request budget with writes; the same concurrency keeps them at it.
      readConcurrency: Math.min(config.dx.concurrency, 8),
    }),
  };
}

/** The composition root of a sync: real clients, the SQLite store, the CLI's logger. */
export function createSyncDeps(
  cli: Cli,
  settings: Settings,
): SyncDeps & { store: SqliteSyncStore } {
  return { ...createClients(settings), store: openStore(settings), log: cli.log };
}
