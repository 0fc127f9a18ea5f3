import type { ErrorInfo } from "./errors";
import type { ChangeReceipt, FinishRun, NewChange, SyncStore } from "./ports";

export const REDACTED = "[redacted]";
/** Shorter strings are not treated as secrets: masking every "abc" would garble output. */
const MIN_SECRET_LENGTH = 6;
/** `scheme://user:password@host`: credentials in a URL are masked wherever they appear. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]*@/gi;

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
    let out = text.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
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
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (typeof key === "string" && key in overrides) return overrides[key as keyof SyncStore];
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
