import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { isCoderDxError } from "../errors";
import { configJsonSchema } from "./json-schema";
import { loadConfigFile, parseConfig } from "./load";
import { defaultConfig } from "./schema";
import { resolveSettings } from "./settings";
import { STARTER_CONFIG } from "./starter";

const file = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "coder-dx-config-")), name);
  writeFileSync(path, text);
  return path;
};

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (isCoderDxError(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
};

describe("config files", () => {
  it("reads YAML and JSON, with defaults for everything left out", () => {
    const yaml = loadConfigFile(file("c.yaml", "safety:\n  maxRemovals: 9\n"));
    expect(yaml.safety).toEqual({ ...defaultConfig().safety, maxRemovals: 9 });
    const json = loadConfigFile(file("c.json", JSON.stringify({ deprovision: "clear" })));
    expect(json.deprovision).toBe("clear");
    expect(json.groups.status.values.former).toBe("Former user");
  });

  it.each([
    [
      "identities:\n  overrides: { u0001: not an email }\n",
      "identities.overrides.u0001: not an email address",
    ],
    [
      "identities:\n  overrides: { jdoe: jd@nowhere }\n",
      "identities.overrides.jdoe: not an email address",
    ],
    [
      "identities:\n  domainRewrites: { corp.example.net: not a domain }\n",
      "identities.domainRewrites.corp.example.net: not a domain name",
    ],
    [
      "identities:\n  domainRewrites: { 'corp example': example.com }\n",
      'identities.domainRewrites.corp example: "corp example" is not a domain name',
    ],
    ["identities:\n  exclude: ['  ']\n", "identities.exclude.0: must not be empty"],
  ])("refuses an identity setting that could never match: %s", (yaml, message) => {
    const error = errorOf(() => loadConfigFile(file("c.yaml", yaml)));
    expect(error.code).toBe("config_invalid");
    expect(error.message).toContain(message);
  });

  it("names the key and the problem", () => {
    const wrongType = errorOf(() =>
      loadConfigFile(file("c.yaml", "safety:\n  maxRemovals: many\n")),
    );
    expect(wrongType.code).toBe("config_invalid");
    expect(wrongType.message).toMatch(/safety\.maxRemovals: .*number/);
    const unknownKey = errorOf(() => loadConfigFile(file("c.yaml", "dx:\n  conurrency: 3\n")));
    expect(unknownKey.message).toMatch(/dx: .*conurrency/);
    const badYaml = errorOf(() => loadConfigFile(file("c.yaml", "safety: [\n")));
    expect(badYaml.message).toContain("not valid YAML or JSON");
    expect(errorOf(() => loadConfigFile("/nonexistent/c.yaml")).message).toContain(
      "file not found",
    );
  });

  it("fills ${VAR} from the environment and refuses an unset one", () => {
    const path = file("c.yaml", "dx:\n  token: ${MY_DX_TOKEN}\n");
    expect(loadConfigFile(path, { MY_DX_TOKEN: "s3cret" }).dx.token).toBe("s3cret");
    expect(errorOf(() => loadConfigFile(path, {})).message).toBe(
      "dx.token: environment variable MY_DX_TOKEN is not set",
    );
  });

  it("lets a config file beat the environment, and a flag beat both", () => {
    const path = file("c.yaml", "coder:\n  url: https://from-file.example\n");
    const env = {
      CODER_URL: "https://from-env.example",
      CODER_SESSION_TOKEN: "t",
      DX_API_TOKEN: "t",
      CODER_DX_DB: "env.db",
    };
    const settings = resolveSettings({ config: path, db: "flag.db" }, env);
    expect(settings).toMatchObject({
      coderUrl: "https://from-file.example",
      dbPath: "flag.db",
      dxUrl: "https://api.getdx.com",
    });
    expect(resolveSettings({}, env)).toMatchObject({
      coderUrl: "https://from-env.example",
      dbPath: "env.db",
    });
  });

  it("lists every missing setting at once", () => {
    expect(errorOf(() => resolveSettings({}, {})).message).toBe(
      "missing settings: CODER_URL (or coder.url in the config), CODER_SESSION_TOKEN, DX_API_TOKEN",
    );
  });

  it("refuses settings that would write the wrong group or value, naming each", () => {
    const refused = (yaml: string) => errorOf(() => loadConfigFile(file("c.yaml", yaml))).message;
    expect(refused("groups:\n  usage: { name: coder }\n")).toMatch(
      /groups\.usage\.name: "coder" is the same DX attribute group as groups\.status\.name/,
    );
    expect(
      refused("groups:\n  extra:\n    - { name: CODER USAGE LEVEL, from: loginType }\n"),
    ).toMatch(/groups\.extra\.0\.name: .* same DX attribute group as groups\.usage\.name/);
    expect(refused("groups:\n  usage: { heavyHours: 5, moderateHours: 10 }\n")).toMatch(
      /groups\.usage\.heavyHours: must be at least moderateHours \(10\)/,
    );
    expect(refused("groups:\n  status: { values: { former: '  ' } }\n")).toMatch(
      /groups\.status\.values\.former: must not be empty/,
    );
    expect(refused("groups:\n  usage: { values: { light: Heavy } }\n")).toMatch(
      /groups\.usage\.values\.light: "Heavy" is also the value for heavy/,
    );
    expect(refused("nonUsers: active\n")).toMatch(/nonUsers: "active" is already a value/);
    expect(refused("dx:\n  requestsPerMinute: 100000\n")).toMatch(/dx\.requestsPerMinute: .*60000/);
    expect(refused("coder:\n  timeoutMs: 3600000\n")).toMatch(/coder\.timeoutMs: .*600000/);
    const dir = mkdtempSync(join(tmpdir(), "coder-dx-config-"));
    expect(errorOf(() => loadConfigFile(dir)).message).toBe(
      `config file ${dir}: not a regular file (a directory)`,
    );
  });

  it("rides out DX's 60-second rate-limit window by default", () => {
    expect(defaultConfig().dx.maxRetryTimeMs).toBeGreaterThanOrEqual(60_000);
  });

  it("ships a starter file that is valid: the defaults, and exactly the three it says it turns on", () => {
    const defaults = defaultConfig();
    // Defaults leave an upgraded install as it was; a new one starts with frequency and steady
    // levels turned on, and may create the frequency group its first sync writes.
    expect(defaults.groups.frequency).toBeNull();
    expect(defaults.groups.usage.downgradeAfterDays).toBe(0);
    expect(STARTER_CONFIG.match(/turned on here/g)).toHaveLength(4); // the header names them
    expect(loadConfigFile(file("c.yaml", STARTER_CONFIG))).toEqual({
      ...defaults,
      groups: {
        ...defaults.groups,
        usage: { ...defaults.groups.usage, downgradeAfterDays: 7 },
        frequency: parseConfig({ groups: { frequency: {} } }, "test").groups.frequency,
      },
      safety: { ...defaults.safety, allowNewGroups: ["Coder usage frequency"] },
    });
    expect(parseYaml(STARTER_CONFIG)).toHaveProperty("safety.maxRemovals", 5);
  });

  it("generates a JSON Schema that describes the config", () => {
    const schema = configJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "coder",
        "dx",
        "groups",
        "identities",
        "deprovision",
        "nonUsers",
        "drift",
        "safety",
        "server",
      ]),
    );
    expect(schema.additionalProperties).toBe(false);
  });
});
