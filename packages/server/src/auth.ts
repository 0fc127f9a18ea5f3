import { createHash, timingSafeEqual } from "node:crypto";
import { CoderDxError } from "@coder-dx/core";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** A configured API token, kept only as its SHA-256: the server never holds a token it could leak. */
export interface ApiToken {
  role: Role;
  sha256: Buffer;
}

export function atLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Parses `role:token` (or `role:sha256:<64 hex>`) entries, comma-separated, from
 * CODER_DX_API_TOKENS or the config. Errors name the entry by position, never its token.
 */
export const MIN_TOKEN_LENGTH = 16;

export function parseApiTokens(entries: readonly string[], source: string): ApiToken[] {
  return entries.map((entry, i) => {
    const at = entry.indexOf(":");
    const role = entry.slice(0, at).trim();
    const secret = entry.slice(at + 1).trim();
    if (at < 0 || !(ROLES as readonly string[]).includes(role) || secret === "") {
      throw new CoderDxError(
        "config_invalid",
        `${source}: entry ${i + 1} must be role:token with role viewer, operator or admin`,
      );
    }
    const hashed = /^sha256:([0-9a-f]{64})$/i.exec(secret);
    // A short token can be guessed; a hashed entry's length says nothing about its secret's.
    if (!hashed && secret.length < MIN_TOKEN_LENGTH) {
      throw new CoderDxError(
        "config_invalid",
        `${source}: entry ${i + 1} (${role}) has a token of ${secret.length} characters; use at least ${MIN_TOKEN_LENGTH} (openssl rand -hex 24 makes one)`,
      );
    }
    return {
      role: role as Role,
      sha256: hashed ? Buffer.from(hashed[1] as string, "hex") : sha256(secret),
    };
  });
}

export function splitTokenList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/**
 * The role of a presented bearer token, or null. Every configured token is compared, in
 * constant time over equal-length digests, so timing says nothing about which one matched.
 */
export function roleOf(tokens: readonly ApiToken[], presented: string): Role | null {
  const digest = sha256(presented);
  let found: Role | null = null;
  for (const token of tokens) {
    if (timingSafeEqual(token.sha256, digest) && (found === null || atLeast(token.role, found)))
      found = token.role;
  }
  return found;
}
