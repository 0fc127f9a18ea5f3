import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoderSimulator } from "./coder-simulator";

// Coder's own swagger.json sits in ../shared beside the repository; CI has it, a bare clone may not.
const SWAGGER = fileURLToPath(
  new URL("../../../../shared/reference/coder/swagger.json", import.meta.url),
);
const available = existsSync(SWAGGER);
if (!available)
  console.warn(
    `skipping the swagger checks: ${SWAGGER} not found (../shared is not beside the repository)`,
  );

describe.skipIf(!available)("the Coder simulator against Coder's swagger.json", () => {
  let sim: CoderSimulator;
  let ajv: Ajv;

  beforeAll(async () => {
    const swagger = JSON.parse(readFileSync(SWAGGER, "utf8"));
    const definitions = swagger.definitions;
    // Known gap in the document (reference/coder/API.md §8): the server also returns `dormant`.
    definitions["codersdk.User"].properties.status.enum.push("dormant");
    ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ definitions }, "swagger");
    sim = await CoderSimulator.start({ now: () => new Date("2026-11-22T06:30:00Z") });
    sim.addUser({ username: "alice", name: "Alice", status: "dormant", usageSeconds: 3600 });
    sim.addUser({ username: "svc", email: "", login_type: "none", is_service_account: true });
  });
  afterAll(() => sim.close());

  const get = async (path: string, token: string | null = sim.token) => {
    const response = await fetch(`${sim.url}${path}`, {
      headers: token ? { "Coder-Session-Token": token } : {},
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  const expectValid = (definition: string, body: unknown) => {
    const validate = ajv.getSchema(`swagger#/definitions/${definition}`);
    if (!validate) throw new Error(`no definition ${definition}`);
    const valid = validate(body);
    expect(validate.errors ?? [], `${definition}: ${JSON.stringify(validate.errors)}`).toEqual([]);
    expect(valid).toBe(true);
  };

  it("answers /users with codersdk.GetUsersResponse", async () => {
    const { status, body } = await get("/api/v2/users?limit=2");
    expect(status).toBe(200);
    expectValid("codersdk.GetUsersResponse", body);
    expect(body.count).toBe(3);
  });

  it("answers /users/me and /users/{user} (an id or a username) with codersdk.User", async () => {
    expectValid("codersdk.User", (await get("/api/v2/users/me")).body);
    const alice = sim.findUser("alice");
    for (const key of [alice.id, "alice", "ALICE"]) {
      const { status, body } = await get(`/api/v2/users/${key}`);
      expect(status).toBe(200);
      expectValid("codersdk.User", body);
      expect(body.id).toBe(alice.id);
    }
    const missing = await get("/api/v2/users/nobody");
    expect(missing.status).toBe(404);
    expectValid("codersdk.Response", missing.body);
  });

  it("answers /insights/user-activity with codersdk.UserActivityInsightsResponse", async () => {
    const { status, body } = await get(
      "/api/v2/insights/user-activity?start_time=2026-10-25T00:00:00Z&end_time=2026-11-22T06:00:00Z",
    );
    expect(status).toBe(200);
    expectValid("codersdk.UserActivityInsightsResponse", body);
    expect(body.report.users).toHaveLength(1);
  });

  it("answers /buildinfo with codersdk.BuildInfoResponse", async () => {
    expectValid("codersdk.BuildInfoResponse", (await get("/api/v2/buildinfo", null)).body);
  });

  it("answers errors with codersdk.Response, as Coder words them", async () => {
    const unauthorized = await get("/api/v2/users", "AbCdEf1234-not0the0right0secret0xx");
    expect(unauthorized.status).toBe(401);
    expectValid("codersdk.Response", unauthorized.body);
    const badLimit = await get("/api/v2/users?limit=-1");
    expect(badLimit.status).toBe(400);
    expectValid("codersdk.Response", badLimit.body);
    const future = await get(
      "/api/v2/insights/user-activity?start_time=2026-11-01T00:00:00Z&end_time=2026-11-23T00:00:00Z",
    );
    expect(future.body.validations[0].detail).toBe(
      'Query param "end_time" must not be in the future',
    );
    const notHour = await get(
      "/api/v2/insights/user-activity?start_time=2026-11-01T00:00:00Z&end_time=2026-11-22T05:30:00Z",
    );
    expect(notHour.body.validations[0].detail).toContain("must have the clock set to 05:00:00");
  });
});
