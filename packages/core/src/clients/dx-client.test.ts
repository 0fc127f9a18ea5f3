import { DxSimulator } from "@coder-dx/simulators";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { failureOf } from "../testing/failure";
import { DxClient } from "./dx-client";

let sim: DxSimulator;
const client = (overrides: Partial<ConstructorParameters<typeof DxClient>[0]> = {}) =>
  new DxClient({
    url: sim.url,
    token: sim.token,
    requestsPerMinute: 60_000,
    retryBaseMs: 5,
    ...overrides,
  });

beforeAll(async () => {
  sim = await DxSimulator.start();
  for (let i = 0; i < 250; i++)
    sim.addUser({
      email: `Person${i}@Example.com`,
      attributes: { Department: "Data" },
      hidden: i % 50 === 0,
    });
  const gone = sim.addUser({ email: "gone@example.com" });
  gone.deletedAt = "2026-01-01T00:00:00Z";
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.faults.clear();
  sim.failingEmails.clear();
});

describe("DxClient", () => {
  it("reads every page of users.list, leaving out hidden and deleted users", async () => {
    const users = await client().listUsers();
    expect(users.size).toBe(245);
    expect(users.get("person1@example.com")?.attributes.department).toBe("Data");
    expect(users.has("person0@example.com")).toBe(false);
    expect(users.has("gone@example.com")).toBe(false);
  });

  it("fails the whole listing when one page fails", async () => {
    sim.faults.add({
      match: /users\.list/,
      skip: 1,
      status: 500,
      body: JSON.stringify({ ok: false, error: "internal" }),
    });
    const error = await failureOf(client({ maxAttempts: 2 }).listUsers());
    expect(error.code).toBe("dx_unavailable");
  });

  it("sets named groups only, and null removes", async () => {
    await client().updateAttributes("person3@example.com", {
      Coder: "Active",
      "Coder usage level": "Light",
    });
    expect(sim.attributesOf("person3@example.com")).toEqual({
      Department: "Data",
      Coder: "Active",
      "Coder usage level": "Light",
    });
    await client().updateAttributes("person3@example.com", { coder: null });
    expect(sim.attributesOf("person3@example.com")).toEqual({
      Department: "Data",
      "Coder usage level": "Light",
    });
  });

  it("treats failures inside a 200 as a rejection", async () => {
    sim.failingEmails.add("person4@example.com");
    const error = await failureOf(
      client().updateAttributes("person4@example.com", { Coder: "Active" }),
    );
    expect(error.code).toBe("dx_rejected");
    expect(error.message).toContain("attribute_locked");
  });

  it("reports an email DX does not know as unknown, not as a failure of DX", async () => {
    const error = await failureOf(
      client().updateAttributes("stranger@example.com", { Coder: "Active" }),
    );
    expect(error.code).toBe("dx_unknown_user");
  });

  it('accepts DX\'s string "true" for ok', async () => {
    await expect(
      client().updateProperties("person5@example.com", { github_username: "p5" }),
    ).resolves.toEqual({ attempts: 1 });
  });

  it("names the refused token without printing it", async () => {
    const error = await failureOf(client({ token: "secret-wrong-token" }).listAttributeGroups());
    expect(error.code).toBe("dx_unauthorized");
    expect(error.message).toContain("DX_API_TOKEN was refused (invalid_auth)");
    expect(error.message).not.toContain("secret-wrong-token");
  });

  it("honours Retry-After on 429 and counts every attempt", async () => {
    sim.faults.add({
      match: /attributes\.update/,
      times: 1,
      status: 429,
      headers: { "retry-after": "0" },
      body: JSON.stringify({ ok: false, error: "rate_limited" }),
    });
    sim.faults.add({
      match: /attributes\.update/,
      times: 1,
      status: 429,
      body: JSON.stringify({ ok: false, error: "rate_limited" }),
    });
    await expect(
      client().updateAttributes("person6@example.com", { Coder: "Active" }),
    ).resolves.toEqual({ attempts: 3 });
  });

  it("retries a truncated body and refuses a malformed one with an excerpt", async () => {
    sim.faults.add({
      match: /attributeGroups/,
      times: 1,
      truncate: true,
      body: JSON.stringify({ ok: true, attribute_groups: [] }),
    });
    expect((await client().listAttributeGroups()).has("department")).toBe(true);
    sim.faults.add({
      match: /attributeGroups/,
      body: JSON.stringify({ ok: true, attribute_groups: "nope" }),
    });
    const error = await failureOf(client().listAttributeGroups());
    expect(error.code).toBe("dx_bad_response");
    expect(error.message).toContain("attribute_groups");
  });
});
