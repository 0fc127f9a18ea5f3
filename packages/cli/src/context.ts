import {
  CoderClient,
  currentHolder,
  DxClient,
  PlatformXClient,
  type PlatformxDeps,
  PlatformxDispatcher,
  SharedBudget,
  proxyFromEnv,
  Redactor,
  redactingStore,
  type RequestEvent,
  type Logger,
  isPostgresUrl,
  resolveSettings,
  type Settings,
  type SyncDeps,
  type SyncStore,
  WebhookNotifier,
} from "@coder-dx/core";
import { openDatabase, PostgresSyncStore, SqliteSyncStore } from "@coder-dx/storage";
import { stderrLogger } from "./logger";
import { type Output, processOutput } from "./output";
import { type Paint, painter } from "./words";

export interface GlobalOptions {
  config?: string;
  db?: string;
}

/** What every command receives: where to write, the environment, and how to reach the world. */
export interface Cli {
  /** Knows every secret from the environment, and those of the config file once it is read. */
  redactor: Redactor;
  out: Output;
  /** Colour for stdout's human output (none off a terminal, or with NO_COLOR). */
  paint: Paint;
  env: NodeJS.ProcessEnv;
  log: Logger;
  globals(): GlobalOptions;
  /** `coder-dx <args>` with the --config and --db this invocation was given, for hints. */
  command(args: string): string;
  /** Ends the process now (a second Ctrl-C); main.ts decides how. */
  exitNow(code: number): void;
}

/** The secrets the environment holds: Coder's and DX's tokens and the API's. */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  const apiTokens = (env.CODER_DX_API_TOKENS ?? "")
    .split(",")
    .map((entry) => entry.slice(entry.indexOf(":") + 1).trim());
  return [env.CODER_SESSION_TOKEN, env.DX_API_TOKEN, ...apiTokens].filter(
    (secret): secret is string => Boolean(secret),
  );
}

export function processCli(globals: () => GlobalOptions, exitNow: (code: number) => void): Cli {
  const redactor = new Redactor(environmentSecrets(process.env));
  return {
    redactor,
    out: processOutput(redactor),
    paint: painter(process.stdout),
    env: process.env,
    log: stderrLogger(redactor),
    globals,
    command: (args) => {
      const { config, db } = globals();
      const quote = (v: string) => (/^[\w./:@-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
      const flags = [
        ...(config ? [`--config ${quote(config)}`] : []),
        ...(db ? [`--db ${quote(db)}`] : []),
      ];
      return ["coder-dx", ...flags, args].join(" ");
    },
    exitNow,
  };
}

export function loadSettings(cli: Cli, requireRemotes: boolean): Settings {
  const settings = resolveSettings(cli.globals(), cli.env, { requireRemotes });
  cli.redactor.add(
    ...settings.secrets,
    ...settings.config.server.apiTokens.map((t) => t.slice(t.indexOf(":") + 1)),
  );
  return settings;
}

/**
 * The store for commands that write (sync, serve); `readonly` for those that only read.
 * `CODER_DX_DB=postgres://…` is a Postgres server; anything else a SQLite file.
 */
export function openStore(
  settings: Settings,
  options: { readonly?: boolean } = {},
): SyncStore & { close(): void } {
  if (isPostgresUrl(settings.dbPath)) return new PostgresSyncStore(settings.dbPath);
  return new SqliteSyncStore(openDatabase(settings.dbPath, options));
}

/**
 * Coder's and DX's clients (and PlatformX's, when a token is set). With a store, DX's Web API
 * and PlatformX take their turns from one budget, the account's, shared with every coder-dx
 * process of that store (`SharedBudget`); without one (`export`), the process keeps its own.
 */
export function createClients(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  hooks: { onRequest?: (event: RequestEvent) => void } = {},
  shared?: { store: SyncStore; log: Logger },
) {
  const config = settings.config;
  const proxy = proxyFromEnv(env);
  const budget = shared
    ? new SharedBudget(shared.store, config.dx.requestsPerMinute, currentHolder(), shared.log)
    : undefined;
  const retries = {
    timeoutMs: config.dx.timeoutMs,
    maxAttempts: config.dx.maxAttempts,
    retryBaseMs: config.dx.retryBaseMs,
    maxRetryTimeMs: config.dx.maxRetryTimeMs,
  };
  return {
    budget,
    platformx:
      config.platformx.token === null
        ? null
        : new PlatformXClient({
            ...hooks,
            url: settings.dxUrl,
            token: config.platformx.token,
            proxy,
            requestsPerMinute: config.dx.requestsPerMinute,
            ...(budget ? { budget } : {}),
            ...retries,
          }),
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
      ...(budget ? { budget } : {}),
      // Read-back pages share the request budget with writes, and go at the same concurrency.
      concurrency: config.dx.concurrency,
      ...retries,
    }),
  };
}

/** The composition root of a sync: real clients, the SQLite store, the CLI's logger. */
export function createSyncDeps(
  cli: Cli,
  settings: Settings,
): SyncDeps & { store: SyncStore & { close(): void }; close(): void } {
  // The store first: a database that cannot be used stops the command before any call out.
  const store = redactingStore(openStore(settings), cli.redactor);
  const { budget, coder, dx, platformx } = createClients(
    settings,
    cli.env,
    {},
    { store, log: cli.log },
  );
  return {
    coder,
    dx,
    store,
    log: cli.log,
    /** Leaves the DX budget to the other processes, then closes the store. */
    close: () => {
      budget?.leave();
      store.close();
    },
    ...notifierFor(settings, cli.env, store, cli.log),
    ...dispatcherFor(settings, store, platformx, cli.log),
  };
}

/** The PlatformX outbox's sender, when a token is set; its sends are this process's. */
export function dispatcherFor(
  settings: Settings,
  store: SyncStore,
  client: PlatformXClient | null,
  log: Logger,
  onOutcome?: PlatformxDeps["onOutcome"],
): { platformx?: PlatformxDispatcher } {
  if (client === null) return {};
  return {
    platformx: new PlatformxDispatcher(
      { store, client, log, holder: currentHolder(), ...(onOutcome ? { onOutcome } : {}) },
      { resendUnknown: settings.config.platformx.resendUnknown },
    ),
  };
}

/** Webhooks told when a run ends, when the config names any. */
export function notifierFor(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  store: SyncStore,
  log: Logger,
): { notifier?: WebhookNotifier } {
  const { notify, publicUrl } = settings.config;
  if (notify.length === 0) return {};
  return {
    notifier: new WebhookNotifier(notify, { store, log, proxy: proxyFromEnv(env), publicUrl }),
  };
}
