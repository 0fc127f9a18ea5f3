import type { Config } from "../config/schema";

export type IdentityResult = { ok: true; email: string } | { ok: false; reason: string };

// Deliberately modest: one @, something on each side, a dot in the domain, no spaces.
// DX decides what it accepts; this only keeps obvious garbage from being sent.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/u;
/** A DNS name with a dot: labels of letters, digits and hyphens (not at either end). */
const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Whether `email` (trimmed, any case) has the shape coder-dx sends: `name@example.com`. */
export function isEmailAddress(email: string): boolean {
  return EMAIL.test(email.trim());
}

/** Whether `domain` (trimmed) is a domain name with a dot: `example.com`, `corp.example.net`. */
export function isDomainName(domain: string): boolean {
  return DOMAIN.test(domain.trim());
}

/** Addresses that say "this is not a person we can identify" (IdP pseudonymisation, redaction). */
function pseudonymisedReason(email: string): string | null {
  const [local = "", domain = ""] = email.split("@");
  if (/^[0-9a-f]{24,}$/.test(local)) return "local part is an opaque hash";
  if (/(^|[._-])(redacted|anonymi[sz]ed|pseudonymi[sz]ed)([._-]|$)/.test(local))
    return "redacted address";
  if (domain.endsWith(".invalid") || domain === "invalid") return "reserved .invalid domain";
  return null;
}

function toRegExp(pattern: string): RegExp {
  const escaped = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`, "u");
}

/** Compiled once per run: `identities.exclude` patterns match a username or an email, `*` wildcards. */
export function compileExclusions(
  patterns: readonly string[],
): (username: string, email: string) => string | null {
  const compiled = patterns.map((pattern) => ({ pattern, regex: toRegExp(pattern.trim()) }));
  return (username, email) => {
    const u = username.toLowerCase();
    const e = email.trim().toLowerCase();
    const hit = compiled.find(({ regex }) => regex.test(u) || (e !== "" && regex.test(e)));
    return hit ? `matches identities.exclude "${hit.pattern}"` : null;
  };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The DX email for a Coder account: an override (by username or email) wins, then the
 * Coder email trimmed and lower-cased with its domain rewritten.
 */
export function createIdentityResolver(identities: Config["identities"]) {
  const overrides = new Map(
    Object.entries(identities.overrides).map(([key, value]) => [
      key.trim().toLowerCase(),
      normaliseEmail(value),
    ]),
  );
  const rewrites = new Map(
    Object.entries(identities.domainRewrites).map(([from, to]) => [
      from.trim().toLowerCase(),
      to.trim().toLowerCase(),
    ]),
  );
  return (username: string, rawEmail: string): IdentityResult => {
    const email = normaliseEmail(rawEmail);
    let resolved =
      overrides.get(username.toLowerCase()) ?? (email ? overrides.get(email) : undefined) ?? email;
    if (resolved === "") return { ok: false, reason: "no email" };
    const at = resolved.lastIndexOf("@");
    const rewrite = at >= 0 ? rewrites.get(resolved.slice(at + 1)) : undefined;
    if (rewrite !== undefined) resolved = `${resolved.slice(0, at)}@${rewrite}`;
    if (!EMAIL.test(resolved)) return { ok: false, reason: `malformed email "${resolved}"` };
    const pseudonymised = pseudonymisedReason(resolved);
    if (pseudonymised)
      return { ok: false, reason: `pseudonymised email "${resolved}": ${pseudonymised}` };
    return { ok: true, email: resolved };
  };
}
