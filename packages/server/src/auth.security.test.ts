import { describe, expect, it } from "vitest";
import { atLeast, parseApiTokens, ROLES, type Role, roleOf } from "./auth";
import { createTestApp, TOKENS } from "./testing";

type Operation = { "x-role"?: string };

/** Every route in the OpenAPI document, with the role it declares: the suite follows the API as it grows. */
async function routes() {
  const { call } = createTestApp();
  const doc = (await (await call("GET", "/openapi.json", null)).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace("{id}", "1").replace("{email}", "alice@example.com"),
      role: (op["x-role"] ?? "missing") as Role | "none" | "secret" | "missing",
    })),
  );
}

describe("authentication and roles on every route", async () => {
  const all = await routes();

  it("declares a role on every route", () => {
    expect(all.filter((r) => r.role === "missing")).toEqual([]);
    expect(all.length).toBeGreaterThanOrEqual(7);
  });

  for (const route of all.filter((r) => ["viewer", "operator", "admin"].includes(r.role))) {
    const needed = route.role as Role;
    it(`${route.method} ${route.path} needs ${needed}`, async () => {
      const { call } = createTestApp();
      const body = route.method === "POST" ? {} : undefined;
      for (const token of [null, "wrong-token"]) {
        const response = await call(route.method, route.path, token, body);
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          "unauthorized",
        );
      }
      for (const role of ROLES) {
        const response = await call(route.method, route.path, TOKENS[role], body);
        if (atLeast(role, needed)) expect([401, 403]).not.toContain(response.status);
        else {
          expect(response.status).toBe(403);
          expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
            "forbidden",
          );
        }
      }
    });
  }

  for (const route of all.filter((r) => r.role === "secret")) {
    it(`${route.method} ${route.path} needs its secret: any other is a 404, tokens or not`, async () => {
      const { call } = createTestApp({ hookSecret: "s".repeat(40) });
      const path = route.path.replace("{secret}", "not-the-secret-not-the-secret-xx");
      for (const token of [null, TOKENS.admin]) {
        const response = await call(route.method, path, token, {});
        expect(response.status).toBe(404);
      }
    });
  }

  for (const route of all.filter((r) => r.role === "none")) {
    it(`${route.method} ${route.path} is open`, async () => {
      const { call } = createTestApp();
      expect((await call(route.method, route.path, null)).status).toBe(200);
    });
  }
});

describe("API tokens", () => {
  it("accepts plain and SHA-256 entries and compares them by digest", () => {
    const tokens = parseApiTokens(
      [
        "viewer:abcdefghijklmnop",
        "admin:sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
      ],
      "test",
    );
    expect(roleOf(tokens, "abcdefghijklmnop")).toBe("viewer");
    expect(roleOf(tokens, "hello")).toBe("admin");
    expect(roleOf(tokens, "nope")).toBeNull();
  });

  it("refuses a token shorter than 16 characters, naming the entry and not the token", () => {
    const attempt = () =>
      parseApiTokens(["viewer:abcdefghijklmnop", "operator:hunter2"], "CODER_DX_API_TOKENS");
    expect(attempt).toThrow(
      "CODER_DX_API_TOKENS: entry 2 (operator) has a token of 7 characters; use at least 16",
    );
    expect(attempt).not.toThrow("hunter2");
  });

  it("refuses a malformed entry without echoing its token", () => {
    expect(() => parseApiTokens(["root:supersecret"], "CODER_DX_API_TOKENS")).toThrow(
      "CODER_DX_API_TOKENS: entry 1 must be role:token with role viewer, operator or admin",
    );
    try {
      parseApiTokens(["root:supersecret"], "x");
    } catch (error) {
      expect((error as Error).message).not.toContain("supersecret");
    }
  });
});
