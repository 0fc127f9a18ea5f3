import type { ErrorInfo } from "./errors";
import type { ChangeReceipt, FinishRun, NewChange, SyncStore } from "./ports";

export const REDACTED = "[redacted]";
/** Shorter strings are not treated as secrets: masking every "abc" would garble output. */
const MIN_SECRET_LENGTH = 6;
/**
 * Where a URL's authority starts (`scheme://` or a scheme-relative `//`), and the run of text
 * after it up to whitespace or a quote: its user-info, if any, ends at an `@` in that run.
 */
const AUTHORITY = /((?:\b[a-z][a-z0-9+.-]*:)?\/\/)([^\s"'<>`]+)/gi;

/**
 * The user-info of the URL whose authority starts `rest` (the text after `//`), or null when it
 * has none. The last `@` before the path ends it (a password may hold an unencoded `@`); a `/`
 * before that `@` belongs to the password only after a `user:` that is not a `host:port`
 * (`user:pa/ss@host`, but not `host:8080/docs/a@b`, nor `host/users/alice@example.com`).
 */
export function userInfoOf(rest: string): string | null {
  const at = rest.lastIndexOf("@");
  if (at <= 0) return null;
  const before = rest.slice(0, at);
  if (/[?#]/.test(before) && !/^[^/?#]*:/.test(before)) return null;
  const slash = before.indexOf("/");
  if (slash < 0) return before;
  const colon = before.indexOf(":");
  if (colon < 0 || colon > slash) return null;
  const afterColon = before.slice(colon + 1, slash);
  return /^\d*$/.test(afterColon) ? null : before;
}

/** Every credential a URL carries, as written and decoded: for the redactor's list. */
export function credentialsIn(url: string): string[] {
  const found: string[] = [];
  for (const match of url.matchAll(AUTHORITY)) {
    const info = userInfoOf(match[2] ?? "");
    if (!info) continue;
    const colon = info.indexOf(":");
    const parts = [info, ...(colon >= 0 ? [info.slice(colon + 1)] : [])];
    for (const part of parts) {
      found.push(part);
      try {
        found.push(decodeURIComponent(part));
      } catch {
        // Not percent-encoded as a whole: the text as written is the secret.
      }
    }
  }
  return found.filter((part) => part !== "");
}

/** Masks the user-info of every URL in `text`, whatever its shape (token, user:pass, encoded). */
function maskUrlCredentials(text: string): string {
  return text.replace(AUTHORITY, (whole, start: string, rest: string) => {
    const info = userInfoOf(rest);
    return info === null ? whole : `${start}${REDACTED}${rest.slice(info.length)}`;
  });
}

/**
 * Knows every configured secret (tokens, API tokens, webhook secrets) and masks them, and any
 * credentials in a URL, in whatever is about to leave the process: stdout, stderr, logs, HTTP
 * answers, the database. Secrets are added as they become known (the config file is read
 * after the environment).
 */
export class Redactor {
  private secrets: string[] = [];

  constructor(secrets: readonly (string | null | undefined)[] = []) {
    this.add(...secrets);
  }

  add(...secrets: (string | null | undefined)[]): void {
    for (const secret of secrets) {
      const value = secret?.trim();
      if (!value || value.length < MIN_SECRET_LENGTH || this.secrets.includes(value)) continue;
      this.secrets.push(value);
      // A URL-encoded copy too (a token echoed in a query string).
      const encoded = encodeURIComponent(value);
      if (encoded !== value) this.secrets.push(encoded);
    }
    // Longest first, so a secret containing another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  text(text: string): string {
    let out = maskUrlCredentials(text);
    for (const secret of this.secrets)
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** Every string inside a JSON-like value. */
  value<T>(value: T): T {
    if (typeof value === "string") return this.text(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.value(item)) as T;
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.value(item)]),
      ) as T;
    }
    return value;
  }

  error(info: ErrorInfo | null): ErrorInfo | null {
    return info === null ? null : { code: info.code, message: this.text(info.message) };
  }
}

/**
 * A SyncStore that masks secrets in everything it records (error messages and notes can quote
 * what Coder or DX answered, and an answer can echo a header).
 */
export function redactingStore<S extends SyncStore>(store: S, redactor: Redactor): S {
  const row = (r: NewChange): NewChange => ({
    ...r,
    error: redactor.error(r.error),
    note: r.note === null ? null : redactor.text(r.note),
  });
  const receipt = (r: ChangeReceipt): ChangeReceipt => ({
    ...r,
    error: redactor.error(r.error),
    ...(r.note === undefined || r.note === null ? {} : { note: redactor.text(r.note) }),
  });
  const overrides: Partial<SyncStore> = {
    insertChanges: (rows) => store.insertChanges(rows.map(row)),
    settleChanges: (receipts) => store.settleChanges(receipts.map(receipt)),
    finishRun: (id, result: FinishRun) =>
      store.finishRun(id, { ...result, error: redactor.error(result.error) }),
    closeAbandonedRuns: (at, error) =>
      store.closeAbandonedRuns(at, redactor.error(error) as ErrorInfo),
    settleEvent: (id, outcome, error, at) =>
      store.settleEvent(id, outcome, redactor.error(error), at),
    settleNotifications: (settlements) =>
      store.settleNotifications(
        settlements.map((s) => ({ ...s, note: s.note === null ? null : redactor.text(s.note) })),
      ),
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (typeof key === "string" && key in overrides) return overrides[key as keyof SyncStore];
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
