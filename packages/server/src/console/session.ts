import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type ApiToken, atLeast, type Role } from "../auth";

/** What the session cookie carries: never the token, only which configured token signed in. */
export interface Session {
  role: Role;
  /** The CSRF token every form of this session posts back. */
  csrf: string;
  expiresAt: number;
}

interface Payload {
  /** The first 16 bytes of the token's SHA-256: finds the configured token again. */
  t: string;
  c: string;
  e: number;
}

const SESSION_HOURS = 12;

function tokenId(digest: Buffer): string {
  return digest.subarray(0, 16).toString("hex");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The session key, made from every configured token's digest: each replica with the same
 * CODER_DX_API_TOKENS, and the same server after a restart, signs and reads the same sessions
 * (no sticky sessions at the load balancer). Forging one takes every token's SHA-256, which only
 * the tokens give; changing any token signs everyone out.
 */
export function sessionKey(tokens: readonly ApiToken[]): Buffer {
  const digests = tokens.map((token) => token.sha256.toString("hex")).sort();
  return createHmac("sha256", "coder-dx console sessions v1").update(digests.join("\n")).digest();
}

/**
 * Signed sessions for the web console (HMAC-SHA256 with `sessionKey`). The role is looked up
 * again on every request, so a token removed from CODER_DX_API_TOKENS ends its sessions at once.
 */
export class Sessions {
  constructor(
    private readonly tokens: readonly ApiToken[],
    private readonly key: Buffer = sessionKey(tokens),
    private readonly now: () => number = Date.now,
    readonly ttlMs = SESSION_HOURS * 3_600_000,
  ) {}

  /** A cookie value for a presented token, or null when no configured token matches it. */
  signIn(presented: string): { cookie: string; session: Session } | null {
    const digest = createHash("sha256").update(presented).digest();
    const token = this.find(tokenId(digest));
    if (!token) return null;
    const payload: Payload = {
      t: tokenId(digest),
      c: randomBytes(18).toString("base64url"),
      e: this.now() + this.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return {
      cookie: `${body}.${this.sign(body)}`,
      session: { role: token.role, csrf: payload.c, expiresAt: payload.e },
    };
  }

  /** The session a cookie value stands for, or null (missing, forged, expired, revoked). */
  read(cookie: string | undefined): Session | null {
    if (!cookie) return null;
    const [body, signature, extra] = cookie.split(".");
    if (!body || !signature || extra !== undefined || !sameText(signature, this.sign(body)))
      return null;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
    } catch {
      return null;
    }
    if (typeof payload.e !== "number" || payload.e <= this.now()) return null;
    const token = typeof payload.t === "string" ? this.find(payload.t) : undefined;
    if (!token || typeof payload.c !== "string") return null;
    return { role: token.role, csrf: payload.c, expiresAt: payload.e };
  }

  /** Whether a posted CSRF token is this session's. */
  static csrfMatches(session: Session, posted: unknown): boolean {
    return typeof posted === "string" && sameText(posted, session.csrf);
  }

  private find(id: string): ApiToken | undefined {
    // The strongest role among tokens with this digest, as bearer auth picks it.
    let found: ApiToken | undefined;
    for (const token of this.tokens) {
      if (!sameText(tokenId(token.sha256), id)) continue;
      if (!found || !atLeast(found.role, token.role)) found = token;
    }
    return found;
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}
