import pRetry from "p-retry";
import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import { CoderDxError, type ErrorCode } from "../errors";
import type { RateBudget } from "./rate-budget";

export type Service = "coder" | "dx";

export interface RequestEvent {
  service: Service;
  endpoint: string;
  status: number | "network";
  ms: number;
  /** Time spent waiting for the request budget before sending. */
  waitMs: number;
}

export interface HttpClientOptions {
  service: Service;
  baseUrl: string;
  headers: Record<string, string>;
  budget: RateBudget;
  timeoutMs?: number;
  maxAttempts?: number;
  /** First retry delay; later ones grow ×2 with jitter, up to `maxRetryDelayMs`. */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** Turns a non-2xx response into the service's typed error. */
  describeError: (status: number, body: string, endpoint: string) => CoderDxError;
  onRequest?: (event: RequestEvent) => void;
}

export interface RequestOptions<T> {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
}

export interface HttpResult<T> {
  data: T;
  attempts: number;
}

/** A typed error that knows how many attempts it took and how long the server asked us to wait. */
export class HttpError extends CoderDxError {
  attempts = 1;
  retryAfterMs: number | null = null;
}

const EXCERPT = 160;

export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT)}…` : flat || "(empty body)";
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function retryable(code: ErrorCode): boolean {
  return code === "coder_unavailable" || code === "dx_unavailable";
}

/**
 * The one place that turns HTTP into typed results: a request budget, a per-request
 * timeout, retries with exponential backoff and jitter on 429/5xx/network errors
 * (honouring Retry-After), error bodies to typed errors, success bodies parsed with zod.
 * Secrets are sent in headers only and never copied into an error.
 */
export class HttpClient {
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  get service(): Service {
    return this.options.service;
  }

  async request<T>(request: RequestOptions<T>): Promise<HttpResult<T>> {
    let attempts = 0;
    try {
      const data = await pRetry(
        async () => {
          attempts += 1;
          return this.attempt(request);
        },
        {
          retries: this.maxAttempts - 1,
          factor: 2,
          minTimeout: this.retryBaseMs,
          maxTimeout: this.maxRetryDelayMs,
          randomize: true,
          shouldRetry: ({ error }) => error instanceof HttpError && retryable(error.code),
          onFailedAttempt: async ({ error, retriesLeft }) => {
            // Retry-After is the server's word; the backoff p-retry adds on top is the jitter.
            if (retriesLeft > 0 && error instanceof HttpError && error.retryAfterMs !== null) {
              await sleep(Math.min(error.retryAfterMs, this.maxRetryDelayMs));
            }
          },
        },
      );
      return { data, attempts };
    } catch (error) {
      if (error instanceof HttpError) {
        error.attempts = attempts;
        throw error;
      }
      throw error;
    }
  }

  private async attempt<T>({ method, path, query, body, schema }: RequestOptions<T>): Promise<T> {
    const { service, baseUrl, headers, budget } = this.options;
    const url = new URL(baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const endpoint = `${method} ${path}`;
    const asked = performance.now();
    const answered = await budget.take();
    const waitMs = performance.now() - asked;
    const started = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
      answered();
    } catch (error) {
      answered();
      this.options.onRequest?.({
        service,
        endpoint,
        status: "network",
        ms: performance.now() - started,
        waitMs,
      });
      const cause = error as Error & { cause?: { code?: string; message?: string } };
      const reason =
        cause.name === "TimeoutError"
          ? `timed out after ${this.timeoutMs} ms`
          : `${cause.message}${cause.cause ? ` (${cause.cause.code ?? cause.cause.message})` : ""}`;
      throw new HttpError(
        `${service}_unavailable`,
        `${service === "dx" ? "DX" : "Coder"} ${endpoint}: ${reason}`,
        {
          endpoint,
          retryable: true,
        },
      );
    }
    this.options.onRequest?.({
      service,
      endpoint,
      status: response.status,
      ms: performance.now() - started,
      waitMs,
    });

    if (!response.ok) {
      const typed = this.options.describeError(response.status, text, endpoint);
      const error = new HttpError(typed.code, typed.message, { endpoint, status: response.status });
      error.retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // A 200 that is not JSON (an HTML proxy page, a cut-off body) is a passing fault: retry.
      throw new HttpError(
        `${service}_unavailable`,
        `${service === "dx" ? "DX" : "Coder"} ${endpoint}: response is not JSON: ${excerpt(text)}`,
        { endpoint, status: response.status, retryable: true },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue
        ? `${issue.path.join(".") || "(root)"}: ${issue.message}`
        : "unexpected shape";
      throw new HttpError(
        `${service}_bad_response`,
        `${service === "dx" ? "DX" : "Coder"} ${endpoint}: unexpected response (${where}): ${excerpt(text)}`,
        { endpoint, status: response.status },
      );
    }
    return parsed.data;
  }
}
