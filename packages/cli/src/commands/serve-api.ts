import { CoderDxError, type Logger, type Redactor, redactingStore } from "@coder-dx/core";
import { Metrics, parseApiTokens, splitTokenList, startService } from "@coder-dx/server";
import { cohortSeriesInWorker } from "../cohort-worker";
import pino from "pino";
import type { z } from "zod";
import {
  type Cli,
  createClients,
  dispatcherFor,
  loadSettings,
  notifierFor,
  openStore,
} from "../context";
import { exitCodeFor, onStopSignals } from "../signals";
import type { ServeOptions } from "./serve";

/** Structured JSON logs on stderr; every configured secret masked in messages and fields. */
function jsonLogger(redactor: Redactor): Logger {
  const logger = pino(
    {
      base: { service: "coder-dx" },
      redact: ["token", "*.token", "authorization", "*.authorization"],
    },
    pino.destination(2),
  );
  return {
    info: (message, fields) => logger.info(redactor.value(fields ?? {}), redactor.text(message)),
    warn: (message, fields) => logger.warn(redactor.value(fields ?? {}), redactor.text(message)),
    error: (message, fields) => logger.error(redactor.value(fields ?? {}), redactor.text(message)),
  };
}

/** The server's composition root: settings, store, clients feeding metrics, tokens, schedule. */
export async function serveApi(cli: Cli, options: z.infer<typeof ServeOptions>): Promise<void> {
  const settings = loadSettings(cli, true);
  const tokens = [
    ...parseApiTokens(splitTokenList(cli.env.CODER_DX_API_TOKENS), "CODER_DX_API_TOKENS"),
    ...parseApiTokens(settings.config.server.apiTokens, "config server.apiTokens"),
  ];
  if (tokens.length === 0) {
    throw new CoderDxError(
      "config_invalid",
      "no API tokens: set CODER_DX_API_TOKENS (role:token,...) or server.apiTokens in the config",
    );
  }
  const log = jsonLogger(cli.redactor);
  const store = redactingStore(openStore(settings), cli.redactor);
  const metrics = new Metrics().readStore(store);
  const { budget, coder, dx, platformx } = createClients(
    settings,
    cli.env,
    { onRequest: (event) => metrics.observeUpstream(event) },
    { store, log },
  );
  const config = settings.config;
  const service = await startService({
    host: options.host,
    port: options.port,
    syncDeps: {
      coder,
      dx,
      store,
      log,
      ...notifierFor(settings, cli.env, store, log),
      ...dispatcherFor(settings, store, platformx, log),
    },
    config,
    tokens,
    metrics,
    log,
    schedule: options.schedule ?? config.server.schedule,
    drainMs: config.server.drainMs,
    cohortSeries: cohortSeriesInWorker(settings.dbPath),
  });
  log.info("listening", { url: service.url, docs: `${service.url}/docs` });
  cli.out.note(
    `coder-dx on ${service.url}: the web console at ${service.url}/, the API reference at ${service.url}/docs`,
  );

  // One SIGTERM or Ctrl-C is one graceful stop, however many times a wrapper delivers it
  // (signals.ts); a second request, later, exits at once.
  await new Promise<void>((resolve) => {
    const requests = onStopSignals({
      first: (signal) => {
        log.info("stopping", { signal });
        void service.stop(signal).then(() => {
          requests.dispose();
          budget?.leave();
          store.close();
          log.info("stopped");
          resolve();
        });
      },
      repeated: (signal, afterMs) =>
        log.info("the same stop request again (a wrapper forwarded it); still stopping", {
          signal,
          afterMs,
        }),
      again: (signal) => {
        log.warn("stop requested again: exiting now; the next run closes the run in progress", {
          signal,
        });
        cli.exitNow(exitCodeFor(signal));
      },
    });
  });
}
