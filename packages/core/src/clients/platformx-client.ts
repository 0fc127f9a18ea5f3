import { z } from "zod";
import { DxOk } from "../domain/dx-user";
import type { CallOptions } from "../ports";
import { createDispatcher } from "./dispatcher";
import { describeDxError } from "./dx-client";
import { HttpClient, type ServiceClientOptions } from "./http";
import { RateBudget, type RequestBudget } from "./rate-budget";

/**
 * `url` is DX's API (`DX_API_URL`): PlatformX's events.track lives beside the Web API. `token`
 * is a PlatformX project token: events.track takes nothing else.
 */
export interface PlatformXClientOptions extends ServiceClientOptions {
  /** The account's budget, shared with the Web API's calls (`SharedBudget`). */
  budget?: RequestBudget;
}

/** What events.track takes (reference/dx/API.md §5.7). */
export interface TrackedEvent {
  name: string;
  email: string;
  /** Unix seconds, as a string. */
  timestamp: string;
  metadata: Record<string, string>;
}

const TrackAnswer = z.object({ ok: DxOk });

/**
 * PlatformX's `events.track`. It is not idempotent (each call is an event), so the client never
 * repeats a call whose answer was lost (a timeout, a reset after sending); it does ride out a
 * 429 and retry a 5xx, as DX asks. DX's answer to anything else is its `{ok:false, error}`.
 */
export class PlatformXClient {
  private readonly http: HttpClient;

  constructor(options: PlatformXClientOptions) {
    const url = options.url.replace(/\/+$/, "");
    this.http = new HttpClient({
      service: "dx",
      baseUrl: url,
      urlSetting: { name: "DX_API_URL", value: url },
      headers: { authorization: `Bearer ${options.token}` },
      budget: options.budget ?? RateBudget.perSecond(options.requestsPerMinute ?? 600),
      dispatcher: options.dispatcher ?? createDispatcher({ connections: 2, proxy: options.proxy }),
      idempotent: false,
      describeError: (status, body, endpoint) => {
        const error = describeDxError(status, body, endpoint);
        // The message names the token a 401 refused: here, the PlatformX one.
        return error.code === "dx_unauthorized"
          ? Object.assign(error, {
              message: error.message.replace(
                "DX_API_TOKEN",
                "platformx.token (a PlatformX project token)",
              ),
            })
          : error;
      },
      describeFailedBody: (json, body, endpoint) => {
        const ok = (json as { ok?: unknown } | null)?.ok;
        return ok === false || ok === "false" ? describeDxError(200, body, endpoint) : null;
      },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.maxRetryTimeMs === undefined ? {} : { maxRetryTimeMs: options.maxRetryTimeMs }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
  }

  async track(event: TrackedEvent, options: CallOptions = {}): Promise<{ attempts: number }> {
    const { attempts } = await this.http.request({
      method: "POST",
      path: "/events.track",
      body: event,
      schema: TrackAnswer,
      signal: options.signal,
    });
    return { attempts };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
