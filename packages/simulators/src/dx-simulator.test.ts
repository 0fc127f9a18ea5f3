import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DxSimulator } from "./dx-simulator";

let sim: DxSimulator;
beforeAll(async () => {
  sim = await DxSimulator.start();
  sim.addUser({ email: "jane@example.com", attributes: { Location: "Remote" } });
  sim.addUser({ email: "quiet@example.com", hidden: true });
});
afterAll(() => sim.close());

const call = async (method: string, body?: unknown, token: string | null = sim.token) => {
  const response = await fetch(`${sim.url}/${method}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      "content-type": "application/json",
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
};

describe("DxSimulator", () => {
  it("answers auth failures the way DX does", async () => {
    expect(await call("users.list", undefined, null)).toEqual({
      status: 401,
      body: { ok: false, error: "not_authed" },
    });
    expect((await call("users.list", undefined, "nope")).body.error).toBe("invalid_auth");
  });

  it("matches group names case-insensitively, keeps DX's spelling, and creates unknown groups", async () => {
    const result = await call("users.attributes.update", {
      email: "JANE@example.com",
      attributes: [
        { name: "location", value: "Berlin" },
        { name: "Coder", value: "Active" },
      ],
    });
    // seeds/002: all of the user's attributes, in the spelling DX keeps, updated where changed.
    expect(result.body).toMatchObject({
      ok: true,
      user: {
        failures: [],
        attributes: [
          { name: "Location", value: "Berlin", updated: true },
          { name: "Coder", value: "Active", updated: true },
        ],
      },
    });
    expect(sim.attributesOf("jane@example.com")).toEqual({ Location: "Berlin", Coder: "Active" });
    expect(
      (await call("attributeGroups.list")).body.attribute_groups.map(
        (g: { name: string }) => g.name,
      ),
    ).toEqual(["Location", "Coder"]);
  });

  it("answers with every attribute the user holds, updated only where the request changed it", async () => {
    sim.addUser({ email: "kim@example.com", attributes: { Department: "Data", Coder: "Active" } });
    const result = await call("users.attributes.update", {
      email: "kim@example.com",
      attributes: [
        { name: "CODER", value: "Active" },
        { name: "Coder usage level", value: "Heavy" },
      ],
    });
    expect(result.body.user.attributes).toEqual([
      { name: "Department", value: "Data", updated: false },
      { name: "Coder", value: "Active", updated: false },
      { name: "Coder usage level", value: "Heavy", updated: true },
    ]);
    sim.failingEmails.add("kim@example.com");
    const refused = await call("users.attributes.update", {
      email: "kim@example.com",
      attributes: [{ name: "Coder", value: "Dormant" }],
    });
    expect(refused.body.user.failures).toEqual([{ name: "Coder", error: "attribute_locked" }]);
    expect(sim.attributesOf("kim@example.com").Coder).toBe("Active");
    sim.failingEmails.clear();
  });

  it("leaves hidden users out of users.list but still accepts writes for them", async () => {
    const listed = (await call("users.list")).body;
    expect(listed.users.map((u: { email: string }) => u.email)).not.toContain("quiet@example.com");
    expect(listed).toMatchObject({ next_page: null, total: listed.users.length });
    expect(
      (
        await call("users.attributes.update", {
          email: "quiet@example.com",
          attributes: [{ name: "Coder", value: "Active" }],
        })
      ).status,
    ).toBe(200);
  });

  it("changes only the properties passed, null unsets, and answers ok as the string true", async () => {
    expect(
      (await call("users.update", { email: "jane@example.com", github_username: "jane" })).body,
    ).toMatchObject({ ok: "true", user: { github_username: "jane" } });
    await call("users.update", { email: "jane@example.com", github_username: null });
    expect(sim.users.get("jane@example.com")?.properties).toEqual({});
  });

  it("refuses unknown users and malformed payloads", async () => {
    expect(
      await call("users.attributes.update", { email: "who@example.com", attributes: [] }),
    ).toEqual({ status: 404, body: { ok: false, error: "not_found" } });
    sim.unknownUserAnswer = { status: 422, error: "invalid_payload" };
    expect(await call("users.update", { email: "who@example.com", github_username: "x" })).toEqual({
      status: 422,
      body: { ok: false, error: "invalid_payload" },
    });
    sim.unknownUserAnswer = { status: 404, error: "not_found" };
    expect(
      (
        await call("users.attributes.update", {
          email: "jane@example.com",
          attributes: [{ name: "", value: 1 }],
        })
      ).status,
    ).toBe(422);
    expect((await call("users.list?page_size=101")).status).toBe(422);
  });
});
