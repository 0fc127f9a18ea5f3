import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}/${path}`, "utf8");

/** The environment variables coder-dx reads (PRODUCT.md's contract). */
const KNOWN_ENV = new Set([
  "CODER_URL",
  "CODER_SESSION_TOKEN",
  "DX_API_URL",
  "DX_API_TOKEN",
  "CODER_DX_DB",
  "CODER_DX_CONFIG",
  "CODER_DX_API_TOKENS",
]);
const COMMANDS = new Set(
  readdirSync(fileURLToPath(new URL("./commands", import.meta.url)))
    .filter((f) => !f.includes("-") && f.endsWith(".ts"))
    .map((f) => f.replace(/\.ts$/, "")),
);

interface Container {
  args: string[];
  env?: { name: string }[];
  envFrom?: { secretRef: { name: string } }[];
}

function containers(path: string): Container[] {
  const found: Container[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      if (Array.isArray(record.containers)) found.push(...(record.containers as Container[]));
      Object.values(record).forEach(walk);
    }
  };
  for (const doc of parseAllDocuments(read(path))) walk(doc.toJS());
  return found;
}

describe("the deploy examples", () => {
  it("run commands coder-dx has, with the variables it reads, tokens from the Secret", () => {
    const secret = parseAllDocuments(read("deploy/kubernetes/secret.yaml"))[0]?.toJS();
    for (const name of Object.keys(secret.stringData)) expect(KNOWN_ENV).toContain(name);
    for (const path of ["deploy/kubernetes/cronjob.yaml", "deploy/kubernetes/deployment.yaml"]) {
      const [container] = containers(path);
      expect(COMMANDS, path).toContain(container?.args[0]);
      for (const { name } of container?.env ?? []) expect(KNOWN_ENV, path).toContain(name);
      expect(JSON.stringify(container?.env)).not.toMatch(/TOKEN/);
      expect(container?.envFrom?.[0]?.secretRef.name).toBe(secret.metadata.name);
    }
    const [serve] = containers("deploy/kubernetes/deployment.yaml");
    expect(serve?.args).toEqual(expect.arrayContaining(["serve", "--schedule"]));
  });

  it("build an image that runs as a non-root user with its database on /data", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:20-slim AS pack$/m);
    expect(dockerfile).toMatch(/^USER coder-dx$/m);
    expect(dockerfile).toMatch(/CODER_DX_DB=\/data\/coder-dx\.db/);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["coder-dx"\]$/m);
    const unit = read("deploy/systemd/coder-dx-sync.service");
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/env coder-dx sync$/m);
    for (const line of read("deploy/systemd/coder-dx.env.example").split("\n")) {
      const name = /^#?\s*([A-Z_]+)=/.exec(line)?.[1];
      if (name) expect(KNOWN_ENV).toContain(name);
    }
  });
});
