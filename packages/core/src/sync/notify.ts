import { createHmac } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import { type Dispatcher, request } from "undici";
import { createDispatcher, type ProxySettings } from "../clients/dispatcher";
import type { NotifyEvent, Webhook } from "../config/schema";
import { type ErrorInfo, toErrorInfo } from "../errors";
import { type Clock, type Logger, type Run, type SyncStore, systemClock } from "../ports";

/** Told when a run ends; never fails or blocks the run beyond its own bounded retries. */
export interface RunNotifier {
  notify(run: Run, signal?: AbortSignal): Promise<void>;
}

export const SIGNATURE_HEADER = "x-coder-dx-signature";
export const TIMESTAMP_HEADER = "x-coder-dx-timestamp";

/** The event a finished run raises; an interrupted run is a failure to whoever is on call. */
export function eventOf(run: Run): NotifyEvent | null {
  switch (run.status) {
    case "succeeded":
    case "partial":
    case "halted":
    case "failed":
      return run.status;
    case "interrupted":
      return "failed";
    case "running":
      return null;
  }
}

/** `sha256=<hex>` of HMAC-SHA256 over the exact body bytes. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface WebhookNotifierOptions {
  store: Pick<SyncStore, "recordDelivery">;
  log: Logger;
  proxy?: ProxySettings | undefined;
  /** The API's public address: a notification links to `<publicUrl>/v1/runs/<id>`. */
  publicUrl?: string | undefined;
  clock?: Clock;
  /** First retry delay; later ones double. */
  retryBaseMs?: number;
}

/**
 * Posts a run's outcome to the configured webhooks: a JSON document signed with HMAC-SHA256
 * (`X-Coder-DX-Signature: sha256=<hex>` over the body, whose `timestamp` repeats
 * `X-Coder-DX-Timestamp`, so a receiver can refuse replays), or a Slack message. Each hook is
 * tried `maxAttempts` times with backoff on network errors, 408, 429 and 5xx; every delivery is
 * recorded, delivered or not. Dry runs notify no one: they changed nothing.
 */
export class WebhookNotifier implements RunNotifier {
  private readonly dispatcher: Dispatcher;
  private readonly clock: Clock;

  constructor(
    private readonly hooks: readonly Webhook[],
    private readonly options: WebhookNotifierOptions,
  ) {
    this.dispatcher = createDispatcher({ connections: 2, proxy: options.proxy });
    this.clock = options.clock ?? systemClock;
  }

  async notify(run: Run, signal?: AbortSignal): Promise<void> {
    const event = eventOf(run);
    if (!event || run.dryRun) return;
    await Promise.all(
      this.hooks
        .filter((hook) => hook.events.includes(event))
        .map((hook) => this.deliver(hook, run, event, signal)),
    );
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async deliver(
    hook: Webhook,
    run: Run,
    event: NotifyEvent,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    const link = this.options.publicUrl
      ? `${this.options.publicUrl.replace(/\/+$/, "")}/v1/runs/${run.id}`
      : null;
    const body = JSON.stringify(
      hook.format === "slack"
        ? { text: slackText(run, event, link) }
        : { event, timestamp, run, link },
    );
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "coder-dx",
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (hook.secret) headers[SIGNATURE_HEADER] = signBody(hook.secret, body);

    let attempts = 0;
    let httpStatus: number | null = null;
    const target = new URL(hook.url).origin;
    try {
      await pRetry(
        async () => {
          attempts += 1;
          const answer = await request(hook.url, {
            method: "POST",
            headers,
            body,
            dispatcher: this.dispatcher,
            headersTimeout: hook.timeoutMs,
            bodyTimeout: hook.timeoutMs,
            signal,
          });
          httpStatus = answer.statusCode;
          await answer.body.dump();
          if (answer.statusCode < 300) return;
          const failure = new Error(`${target} answered HTTP ${answer.statusCode}`);
          const retryable =
            answer.statusCode >= 500 || answer.statusCode === 408 || answer.statusCode === 429;
          throw retryable ? failure : new AbortError(failure);
        },
        {
          retries: hook.maxAttempts - 1,
          factor: 2,
          minTimeout: this.options.retryBaseMs ?? 1000,
          maxTimeout: 30_000,
          randomize: true,
          ...(signal ? { signal } : {}),
        },
      );
      this.record({ run, target, event, outcome: "delivered", attempts, httpStatus, error: null });
    } catch (error) {
      const info = toErrorInfo(error);
      const message = signal?.aborted
        ? "stopped while shutting down"
        : info.message.replaceAll(hook.url, target);
      this.options.log.warn("notification not delivered", { runId: run.id, target, message });
      this.record({
        run,
        target,
        event,
        outcome: "failed",
        attempts,
        httpStatus,
        error: { code: "notify_failed", message },
      });
    }
  }

  private record(delivery: {
    run: Run;
    target: string;
    event: NotifyEvent;
    outcome: "delivered" | "failed";
    attempts: number;
    httpStatus: number | null;
    error: ErrorInfo | null;
  }): void {
    const { run, ...rest } = delivery;
    try {
      this.options.store.recordDelivery({
        ...rest,
        runId: run.id,
        at: this.clock.now().toISOString(),
      });
    } catch (error) {
      this.options.log.warn("could not record a notification", {
        runId: run.id,
        message: toErrorInfo(error).message,
      });
    }
  }
}

function slackText(run: Run, event: NotifyEvent, link: string | null): string {
  const c = run.counts;
  const what = `coder-dx run ${run.id} ${run.status}${event !== run.status ? ` (${event})` : ""}`;
  const why = run.error ? `: ${run.error.message}` : "";
  const figures = `applied ${c.applied}, rejected ${c.rejected}, unmatched ${c.unmatched}, invalid ${c.invalid} of ${c.users} people`;
  return `${what}${why}\n${figures}${link ? `\n<${link}|run ${run.id}>` : ""}`;
}
