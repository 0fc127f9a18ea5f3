import {
  CoderClient,
  DxClient,
  proxyFromEnv,
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
  env: NodeJS.ProcessEnv,
  hooks: { onRequest?: (event: RequestEvent) => void } = {},
) {
  const config = settings.config;
  const proxy = proxyFromEnv(env);
  return {
    coder: new CoderClient({
      ...hooks,
      url: settings.coderUrl,
      token: settings.coderToken,
      proxy,
      requestsPerMinute: config.coder.requestsPerMinute,
      timeoutMs: config.coder.timeoutMs,
      maxAttempts: config.coder.maxAttempts,
      retryBaseMs: config.coder.retryBaseMs,
      maxRetryTimeMs: config.coder.maxRetryTimeMs,
    }),
    dx: new DxClient({
      ...hooks,
      url: settings.dxUrl,
      token: settings.dxToken,
      proxy,
      requestsPerMinute: config.dx.requestsPerMinute,
      // Read-back pages share the request budget with writes, and go at the same concurrency.
      concurrency: config.dx.concurrency,
      timeoutMs: config.dx.timeoutMs,
      maxAttempts: config.dx.maxAttempts,
      retryBaseMs: config.dx.retryBaseMs,
      maxRetryTimeMs: config.dx.maxRetryTimeMs,
    }),
  };
}

/** The composition root of a sync: real clients, the SQLite store, the CLI's logger. */
export function createSyncDeps(
  cli: Cli,
  settings: Settings,
): SyncDeps & { store: SqliteSyncStore } {
  // The store first: a database that cannot be used stops the command before any call out.
  const store = openStore(settings);
  return { ...createClients(settings, cli.env), store, log: cli.log };
}
