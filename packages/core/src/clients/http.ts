import pRetry from "p-retry";
import { setTimeout as sleep } from "node:timers/promises";
import { type Dispatcher, request as undiciRequest } from "undici";
import type { z } from "zod";
import { CoderDxError, type ErrorCode } from "../errors";
import { Redactor } from "../redact";
import { createDispatcher, type ProxySettings } from "./dispatcher";
import type { RequestBudget } from "./rate-budget";

export type Service = "coder" | "dx";

export interface RequestEvent {
  service: Service;
  endpoint: string;
  status: number | "network";
  ms: number;
  /** Time spent waiting for the request budget before sending. */
  waitMs: number;
}

/** What Coder's, DX's and PlatformX's clients are configured with alike. */
export interface ServiceClientOptions {
  url: string;
  token: string;
  requestsPerMinute?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  maxRetryTimeMs?: number;
  proxy?: ProxySettings;
  dispatcher?: Dispatcher;
  onRequest?: (event: RequestEvent) => void;
}

export interface HttpClientOptions {
  service: Service;
  baseUrl: string;
  headers: Record<string, string>;
  budget: RequestBudget;
  /** The connection pool; one per service (see createDispatcher). */
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  /** Attempts for 5xx and network errors. */
  maxAttempts?: number;
  /** First retry delay; later ones grow ×2 with jitter, up to `maxRetryDelayMs`. */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /**
   * How long one request may keep retrying, in all. A 429 does not use up `maxAttempts`:
   * rate limits are ridden out until this much time has passed.
   */
  maxRetryTimeMs?: number;
  /** Turns a non-2xx response into the service's typed error. */
  describeError: (status: number, body: string, endpoint: string) => CoderDxError;
  /** Turns a 2xx JSON body that says it failed (DX's `ok:false`) into a typed error. */
  describeFailedBody?: (json: unknown, body: string, endpoint: string) => CoderDxError | null;
  /**
   * Whether repeating a request is harmless (default). A client that is not (PlatformX's
   * `events.track` adds an event each time) retries only what surely never reached the server
   * or was refused outright (429, 5xx), never a request whose answer was lost on the way back.
   */
  idempotent?: boolean;
  /** The setting the base URL came from, to name in fixes: `CODER_URL`, `DX_API_URL`. */
  urlSetting: { name: string; value: string };
  onRequest?: (event: RequestEvent) => void;
}

export interface RequestOptions<T> {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
  /** Aborts the request (and its retries) at once: a shutdown past its drain deadline. */
  signal?: AbortSignal | undefined;
  /**
   * Asked just before each attempt leaves, after every wait (the request budget, a back-off, a
   * Retry-After): a throw keeps that attempt, and every later one, from being sent.
   */
  beforeSend?: (() => void) | undefined;
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

/** An attempt `beforeSend` refused: it never left. Carries the refusal's code and message. */
class NotSent extends HttpError {}

const EXCERPT = 160;
/** However long the retry time, one request never tries more often than this. */
const MAX_ATTEMPTS_EVER = 50;

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

function retryableCode(code: ErrorCode): boolean {
  return code === "coder_unavailable" || code === "dx_unavailable";
}

/** Worth another attempt: the service was unavailable, and this failure did not say otherwise. */
function retryable(error: HttpError): boolean {
  return retryableCode(error.code) && error.details.retryable !== false;
}

/**
 * Network failures that may come after the request reached the server: its answer was lost.
 * Repeating such a request may do it twice (`idempotent: false` clients do not).
 */
const ANSWER_LOST = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "ECONNRESET",
  "EPIPE",
]);

/** Node's and OpenSSL's codes for a certificate that cannot be trusted. */
const TLS_CODES =
  /^(CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT|HOSTNAME_MISMATCH|ERR_SSL_)/;

function header(headers: Record<string, string | string[] | undefined>, name: string) {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && /\bjson\b/i.test(contentType);
}

/**
 * The one place that turns HTTP into typed results: a request budget, per-request timeouts,
 * retries with exponential backoff and jitter on 429/5xx/network errors (honouring
 * Retry-After), error bodies to typed errors, success bodies parsed with zod.
 *
 * What it refuses rather than retries, because retrying cannot help and following could
 * hurt: a redirect (it would carry the token to wherever it points), a certificate that
 * cannot be trusted, and a 2xx that is not JSON at all (an SSO login wall or a proxy page).
 * Secrets are sent in headers only and never copied into an error.
 */
export class HttpClient {
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly maxRetryTimeMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly name: string;
  private readonly getHeaders: Record<string, string>;
  private readonly postHeaders: Record<string, string>;
  /** The client's own credentials: an answer that echoes a header never carries it further. */
  private readonly redactor: Redactor;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.maxRetryTimeMs = options.maxRetryTimeMs ?? 90_000;
    this.dispatcher = options.dispatcher ?? createDispatcher({ connections: 8 });
    this.name = options.service === "dx" ? "DX" : "Coder";
    this.getHeaders = { accept: "application/json", ...options.headers };
    this.postHeaders = { ...this.getHeaders, "content-type": "application/json" };
    this.redactor = new Redactor(
      Object.values(options.headers).flatMap((value) => [value, value.replace(/^Bearer\s+/i, "")]),
    );
  }

  get service(): Service {
    return this.options.service;
  }

  /** Closes the connection pool (idle sockets never keep the process alive either way). */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** The delay before the n-th retry (0-based): base × 2ⁿ with jitter, capped. */
  private backoff(n: number): number {
    return Math.min(this.maxRetryDelayMs, this.retryBaseMs * 2 ** n * (1 + Math.random()));
  }

  async request<T>(request: RequestOptions<T>): Promise<HttpResult<T>> {
    const started = performance.now();
    // The common case, one attempt, goes without the retry machinery: at hundreds of writes a
    // second its cost is the client's share of the latency bound.
    try {
      return { data: await this.attempt(request), attempts: 1 };
    } catch (first) {
      if (first instanceof NotSent) {
        first.attempts = 0;
        throw first;
      }
      return this.retry(request, first, started);
    }
  }

  /** Attempts 2…n after a first failure, with p-retry's backoff and the 429 rules. */
  private async retry<T>(
    request: RequestOptions<T>,
    first: unknown,
    started: number,
  ): Promise<HttpResult<T>> {
    let attempts = 1;
    let rateLimited = 0;
    const isRateLimit = (error: unknown) =>
      error instanceof HttpError && error.details.status === 429;
    const onFailed = async (error: unknown) => {
      if (!(error instanceof HttpError) || !retryable(error)) return;
      if (error.details.status === 429) {
        // The limit is shared by every worker (and, for DX, by other integrations over a
        // 60-second sliding window): everyone waits, with the server's Retry-After or a
        // backoff that grows past that window when it gives none.
        this.options.budget.pauseFor(error.retryAfterMs ?? this.backoff(rateLimited));
        rateLimited += 1;
      } else if (error.retryAfterMs !== null) {
        // Retry-After on a 503 is the server's word; the backoff on top is the jitter.
        await sleep(Math.min(error.retryAfterMs, this.maxRetryDelayMs), undefined, {
          ...(request.signal ? { signal: request.signal } : {}),
        });
      }
    };
    const signal = request.signal ? { signal: request.signal } : {};
    try {
      if (
        !(first instanceof HttpError) ||
        !retryable(first) ||
        (this.maxAttempts < 2 && !isRateLimit(first))
      )
        throw first;
      await onFailed(first);
      // A 429 waits in the shared budget pause; anything else backs off before attempt 2.
      if (!isRateLimit(first)) await sleep(this.backoff(0), undefined, signal);
      const data = await pRetry(
        async () => {
          attempts += 1;
          return this.attempt(request);
        },
        {
          retries: Math.max(0, this.maxAttempts - (isRateLimit(first) ? 1 : 2)),
          factor: 2,
          minTimeout: this.retryBaseMs * 2,
          maxTimeout: this.maxRetryDelayMs,
          maxRetryTime: Math.max(0, this.maxRetryTimeMs - (performance.now() - started)),
          randomize: true,
          ...signal,
          shouldRetry: ({ error }) =>
            error instanceof HttpError && retryable(error) && attempts < MAX_ATTEMPTS_EVER,
          shouldConsumeRetry: ({ error }) => !isRateLimit(error),
          onFailedAttempt: ({ error }) => onFailed(error),
        },
      );
      return { data, attempts };
    } catch (error) {
      if (error instanceof HttpError) {
        // The attempt `beforeSend` refused was never sent.
        error.attempts = error instanceof NotSent ? attempts - 1 : attempts;
        error.message = this.redactor.text(error.message);
        throw error;
      }
      if (request.signal?.aborted) {
        const aborted = new HttpError(
          "interrupted",
          `${this.name} ${request.method} ${request.path}: aborted while shutting down`,
          { endpoint: `${request.method} ${request.path}` },
        );
        aborted.attempts = attempts;
        throw aborted;
      }
      throw error;
    }
  }

  private fail(code: ErrorCode, message: string, endpoint: string, status?: number): HttpError {
    return new HttpError(code, `${this.name} ${endpoint}: ${message}`, {
      endpoint,
      ...(status === undefined ? {} : { status }),
    });
  }

  private async attempt<T>(request: RequestOptions<T>): Promise<T> {
    const { method, path, query, body, schema, signal } = request;
    const { service, baseUrl, budget } = this.options;
    let url = baseUrl + path;
    if (query) {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(query))
        if (value !== undefined) search.set(key, String(value));
      if (search.size > 0) url += `?${search}`;
    }
    const endpoint = `${method} ${path}`;
    const asked = performance.now();
    const slot = budget.take(signal);
    const answered = typeof slot === "function" ? slot : await slot;
    const waitMs = performance.now() - asked;
    if (request.beforeSend) {
      try {
        request.beforeSend();
      } catch (refusal) {
        answered();
        const info =
          refusal instanceof CoderDxError
            ? refusal
            : new CoderDxError("internal", (refusal as Error).message);
        throw new NotSent(info.code, info.message, { endpoint, retryable: false });
      }
    }
    const started = performance.now();
    let status: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await undiciRequest(url, {
        method,
        dispatcher: this.dispatcher,
        headers: body === undefined ? this.getHeaders : this.postHeaders,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
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
      if (signal?.aborted) throw error;
      throw this.networkError(error, endpoint, new URL(url));
    }
    this.options.onRequest?.({
      service,
      endpoint,
      status,
      ms: performance.now() - started,
      waitMs,
    });

    if (status >= 300 && status < 400) {
      const location = header(responseHeaders, "location");
      const target = location && URL.canParse(location, url) ? new URL(location, url) : null;
      throw this.fail(
        `${service}_url_invalid`,
        `answered ${status} redirecting to ${target?.href ?? "(no Location)"}; coder-dx does not follow redirects (they would carry the token elsewhere): ${this.urlFix(new URL(url), target)}`,
        endpoint,
        status,
      );
    }
    if (status < 200 || status >= 300) {
      const typed = this.options.describeError(status, text, endpoint);
      const error = new HttpError(typed.code, typed.message, {
        ...typed.details,
        endpoint,
        status,
      });
      error.retryAfterMs = parseRetryAfter(header(responseHeaders, "retry-after"));
      throw error;
    }
    const contentType = header(responseHeaders, "content-type");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (isJsonContentType(contentType)) {
        // Declared JSON but cut off or garbled on the way: a passing fault, retried.
        throw new HttpError(
          `${service}_unavailable`,
          `${this.name} ${endpoint}: the JSON response was cut off or garbled: ${excerpt(text)}`,
          { endpoint, status, retryable: true },
        );
      }
      throw this.fail(
        `${service}_url_invalid`,
        `answered ${status} with ${contentType ?? "no content type"}, not JSON (a login page or a proxy in the way?) at ${new URL(url).origin}: check ${this.options.urlSetting.name} and that this machine reaches the API directly: ${excerpt(text)}`,
        endpoint,
        status,
      );
    }
    const failed = this.options.describeFailedBody?.(json, text, endpoint);
    if (failed) {
      throw new HttpError(failed.code, failed.message, { ...failed.details, endpoint, status });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue
        ? `${issue.path.join(".") || "(root)"}: ${issue.message}`
        : "unexpected shape";
      throw this.fail(
        `${service}_bad_response`,
        `unexpected response (${where}): ${excerpt(text)}`,
        endpoint,
        status,
      );
    }
    return parsed.data;
  }

  /** "set CODER_URL to …" when a redirect moved the whole API, else "check CODER_URL". */
  private urlFix(requested: URL, target: URL | null): string {
    const { name, value } = this.options.urlSetting;
    const base = new URL(value).pathname.replace(/\/+$/, "");
    const tail = requested.pathname.slice(base.length);
    if (target && tail && target.pathname.endsWith(tail)) {
      return `set ${name} to ${target.origin}${target.pathname.slice(0, -tail.length)}`;
    }
    return `check ${name} (now ${value})`;
  }

  private networkError(error: unknown, endpoint: string, url: URL): HttpError {
    const { service } = this.options;
    const cause = error as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = cause.code ?? cause.cause?.code ?? "";
    if (TLS_CODES.test(code) || TLS_CODES.test(cause.cause?.code ?? "")) {
      return this.fail(
        `${service}_tls`,
        `the certificate of ${url.host} is not trusted (${code || cause.message}); if it comes from a private CA, point NODE_EXTRA_CA_CERTS at that CA's PEM file; otherwise check ${this.options.urlSetting.name}`,
        endpoint,
      );
    }
    const reason =
      code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
        ? `timed out after ${this.timeoutMs} ms`
        : `${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ""}`;
    const lost = this.options.idempotent === false && ANSWER_LOST.has(code);
    return new HttpError(
      `${service}_unavailable`,
      `${this.name} ${endpoint}: ${reason}${lost ? " (the request may have arrived: its answer was lost)" : ""}`,
      { endpoint, retryable: !lost, ...(lost ? { answerLost: true } : {}) },
    );
  }
}
