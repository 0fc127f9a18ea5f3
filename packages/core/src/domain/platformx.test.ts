import { describe, expect, it } from "vitest";
import { aConfig } from "../testing/builders";
import { fitMetadata, METADATA_LIMIT_BYTES, resolveSubject } from "./platformx";

const size = (metadata: Record<string, string>) => Buffer.byteLength(JSON.stringify(metadata));

describe("fitMetadata: within DX's 1 KB", () => {
  // {"source":"webhook","workspace":"…"} is 35 bytes around the workspace's name.
  const frame = size({ source: "webhook", workspace: "" });

  it("keeps metadata of exactly 1,024 bytes as it is", () => {
    const exact = { source: "webhook", workspace: "w".repeat(METADATA_LIMIT_BYTES - frame) };
    expect(size(exact)).toBe(1024);
    expect(fitMetadata(exact)).toEqual(exact);
  });

  it("cuts one byte over, the longest value, marked with an ellipsis", () => {
    const over = { source: "webhook", workspace: "w".repeat(METADATA_LIMIT_BYTES - frame + 1) };
    const fitted = fitMetadata(over);
    expect(size(fitted)).toBeLessThanOrEqual(1024);
    expect(fitted.source).toBe("webhook");
    expect(fitted.workspace).toMatch(/^w+…$/);
  });

  it("cuts multi-byte names by characters, never inside one, and drops empty values", () => {
    const fitted = fitMetadata({
      source: "pass",
      username: null,
      template: "模板".repeat(400),
      template_version: "🚀".repeat(300),
    });
    expect(size(fitted)).toBeLessThanOrEqual(1024);
    expect(Object.keys(fitted)).toEqual(["source", "template", "template_version"]);
    expect(fitted.template).not.toContain("\uFFFD");
    expect([...(fitted.template_version ?? "")].every((c) => c === "🚀" || c === "…")).toBe(true);
  });
});

describe("resolveSubject: whom an event is about", () => {
  const config = aConfig({
    identities: { domainRewrites: { "old.example.com": "example.com" }, exclude: ["bot-*"] },
  });
  const ctx = { config, accounts: null, state: new Map() };

  it("takes the email the notification carries through the identity rules", () => {
    expect(
      resolveSubject({ userId: "u-1", username: "ann", email: "Ann@old.example.com" }, ctx),
    ).toMatchObject({ ok: true, email: "ann@example.com" });
  });

  it("refuses an excluded subject, and one it cannot tell, saying why", () => {
    expect(
      resolveSubject({ userId: "u-2", username: "bot-ci", email: "ci@example.com" }, ctx),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/^excluded/) });
    expect(resolveSubject({ userId: "u-3", username: null, email: null }, ctx)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot tell whom it is about/),
    });
  });
});
