import { describe, expect, it } from "vitest";
import { aCoderUser, aConfig } from "../testing/builders";
import { mapCoderUsers, usageLevel } from "./mapping";

const map = (
  users: ReturnType<typeof aCoderUser>[],
  options: {
    usage?: Record<string, number>;
    owner?: string;
    config?: Parameters<typeof aConfig>[0];
  } = {},
) =>
  mapCoderUsers({
    users,
    usageSeconds: new Map(Object.entries(options.usage ?? {})),
    tokenOwnerId: options.owner ?? null,
    config: aConfig(options.config),
  });

describe("mapCoderUsers", () => {
  it("maps each status to the default Coder value and hours to a usage level", () => {
    const active = aCoderUser({ status: "active" });
    const dormant = aCoderUser({ status: "dormant" });
    const suspended = aCoderUser({ status: "suspended" });
    const { desired } = map([active, dormant, suspended], { usage: { [active.id]: 40 * 3600 } });
    const byEmail = Object.fromEntries(desired.map((d) => [d.email, d.attributes]));
    expect(byEmail[active.email]).toEqual({ Coder: "Active", "Coder usage level": "Heavy" });
    expect(byEmail[dormant.email]).toEqual({ Coder: "Dormant", "Coder usage level": "None" });
    expect(byEmail[suspended.email]).toEqual({ Coder: "Suspended", "Coder usage level": "None" });
  });

  it("puts the usage thresholds at 40 and 10 hours, and anything above zero is Light", () => {
    const usage = aConfig().groups.usage;
    expect(
      [40, 39.99, 10, 9.99, 0.02, 0].map((h) => usageLevel({ hours: h, activeDays: null }, usage)),
    ).toEqual(["Heavy", "Moderate", "Moderate", "Light", "Light", "None"]);
  });

  it("excludes service accounts (old servers too), the token owner and configured patterns", () => {
    const modern = aCoderUser({ is_service_account: true, email: "bot@example.com" });
    const legacy = aCoderUser({ email: "", login_type: "none" });
    const owner = aCoderUser();
    const contractor = aCoderUser({ email: "pat@contractor.io" });
    const tester = aCoderUser({ username: "qa-tester-7" });
    const kept = aCoderUser();
    const result = map([modern, legacy, owner, contractor, tester, kept], {
      owner: owner.id,
      config: { identities: { exclude: ["*@contractor.io", "QA-*"] } },
    });
    expect(result.desired.map((d) => d.email)).toEqual([kept.email]);
    expect(Object.fromEntries(result.excluded.map((e) => [e.coderUserId, e.reason]))).toEqual({
      [modern.id]: "service account",
      [legacy.id]: "service account",
      [owner.id]: "owns the Coder token coder-dx uses",
      [contractor.id]: 'matches identities.exclude "*@contractor.io"',
      [tester.id]: 'matches identities.exclude "QA-*"',
    });
  });

  it("normalises emails, applies overrides and domain rewrites", () => {
    const mixed = aCoderUser({ email: "  Alice.Smith@Example.COM " });
    const overridden = aCoderUser({ username: "bobby", email: "bob@old.example" });
    const rewritten = aCoderUser({ email: "carol@corp.example.net" });
    const { desired } = map([mixed, overridden, rewritten], {
      config: {
        identities: {
          overrides: { BOBBY: "Robert@Example.com" },
          domainRewrites: { "corp.example.net": "example.com" },
        },
      },
    });
    expect(desired.map((d) => d.email)).toEqual([
      "alice.smith@example.com",
      "carol@example.com",
      "robert@example.com",
    ]);
  });

  it("reports accounts with no usable identity as invalid with the reason", () => {
    const users = [
      aCoderUser({ email: "", login_type: "oidc" }),
      aCoderUser({ email: "not-an-email" }),
      aCoderUser({ email: "0123456789abcdef0123456789abcdef@example.com" }),
      aCoderUser({ email: "user@anon.invalid" }),
    ];
    const { invalid, desired } = map(users);
    expect(desired).toEqual([]);
    expect(invalid.map((i) => i.reason)).toEqual([
      "no email",
      'malformed email "not-an-email"',
      'pseudonymised email "0123456789abcdef0123456789abcdef@example.com": local part is an opaque hash',
      'pseudonymised email "user@anon.invalid": reserved .invalid domain',
    ]);
  });

  it("keeps Unicode and +tags intact", () => {
    const { desired } = map([
      aCoderUser({ email: "Zoë+coder@Exämple.com", name: 'Zoë "Z" O\'Neil, PhD' }),
    ]);
    expect(desired[0]).toMatchObject({
      email: "zoë+coder@exämple.com",
      name: 'Zoë "Z" O\'Neil, PhD',
    });
  });

  it("merges accounts that resolve to one email: best status, usage summed", () => {
    const main = aCoderUser({ email: "dana@example.com", status: "suspended" });
    const admin = aCoderUser({
      username: "dana-admin",
      email: "DANA@example.com",
      status: "active",
    });
    const { desired } = map([main, admin], {
      usage: { [main.id]: 6 * 3600, [admin.id]: 5 * 3600 },
    });
    expect(desired).toHaveLength(1);
    expect(desired[0]).toMatchObject({
      email: "dana@example.com",
      coderUserIds: [admin.id, main.id],
      status: "active",
      activeHours: 11,
      attributes: { Coder: "Active", "Coder usage level": "Moderate" },
    });
  });

  it("computes extra groups and opt-in properties from declarative rules", () => {
    const gh = aCoderUser({
      username: "octo",
      login_type: "github",
      roles: [{ name: "template-admin" }],
    });
    const sso = aCoderUser({ login_type: "oidc" });
    const { desired } = map([gh, sso], {
      config: {
        groups: {
          extra: [
            { name: "Coder login", from: "loginType", map: { github: "GitHub", oidc: "SSO" } },
            { name: "Coder role", from: "siteRole" },
          ],
        },
        properties: [{ name: "github_username", from: "username", when: { loginType: "github" } }],
      },
    });
    const byEmail = Object.fromEntries(desired.map((d) => [d.email, d]));
    expect(byEmail[gh.email]?.attributes).toMatchObject({
      "Coder login": "GitHub",
      "Coder role": "template-admin",
    });
    expect(byEmail[gh.email]?.properties).toEqual({ github_username: "octo" });
    expect(byEmail[sso.email]?.attributes).toMatchObject({
      "Coder login": "SSO",
      "Coder role": "member",
    });
    expect(byEmail[sso.email]?.properties).toEqual({});
  });
});
