import { DxSimulator } from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { DxClient } from "./clients/dx-client";
import { loadConfigFile } from "./config/load";
import { resolveSettings } from "./config/settings";
import { isCoderDxError } from "./errors";
import { REDACTED, Redactor, redactingStore } from "./redact";
import { aChangeRow } from "./testing/builders";
import { failureOf } from "./testing/failure";
import { MemorySyncStore } from "./testing/memory-store";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SECRET = "s3cret-token-value-42";

describe("Redactor", () => {
  it("masks every known secret, its URL-encoded form, and credentials in any URL", () => {
    const redactor = new Redactor([SECRET, "ab", undefined]);
    redactor.add("p@ss word!");
    expect(
      redactor.text(
        `Bearer ${SECRET}; ?token=${encodeURIComponent("p@ss word!")}; https://bob:hunter2@coder.example.com/x ab`,
      ),
    ).toBe(`Bearer ${REDACTED}; ?token=${REDACTED}; https://${REDACTED}@coder.example.com/x ab`);
    expect(redactor.value({ run: { error: { message: `no ${SECRET}` } }, n: 1 })).toEqual({
      run: { error: { message: `no ${REDACTED}` } },
      n: 1,
    });
  });

  it.each([
    [
      "a token as the whole user-info, on a port that cannot be",
      "https://tok-SECRET-123456@coder.example.com:99999",
      "https://[redacted]@coder.example.com:99999",
    ],
    [
      "user:pass, scheme-relative",
      "see //user:SECRETpass@host.example.com/x",
      "see //[redacted]@host.example.com/x",
    ],
    [
      "a password holding a slash",
      "https://user:pa/SECRET@coder.example.com/api",
      "https://[redacted]@coder.example.com/api",
    ],
    [
      "a password holding an @",
      "https://user:p@SECRET@coder.example.com",
      "https://[redacted]@coder.example.com",
    ],
    [
      "percent-encoded",
      "https://user%40corp:SECRET%2Fx@h.example.com/",
      "https://[redacted]@h.example.com/",
    ],
    ["an empty password", "http://SECRETuser:@host", "http://[redacted]@host"],
    [
      "Postgres",
      "postgres://coderdx:SECRET@db:5432/coderdx",
      "postgres://[redacted]@db:5432/coderdx",
    ],
    [
      "inside JSON",
      '{"url":"https://u:SECRET@h.example.com"}',
      '{"url":"https://[redacted]@h.example.com"}',
    ],
    [
      "two in one line",
      "a=https://x:SECRET@a.io b=ftp://SECRET@b.io",
      "a=https://[redacted]@a.io b=ftp://[redacted]@b.io",
    ],
  ])("masks credentials in a URL: %s", (_, text, masked) => {
    const out = new Redactor().text(text);
    expect(out).toBe(masked);
    expect(out).not.toContain("SECRET");
  });

  it.each([
    "https://api.getdx.com/users/alice@example.com",
    "https://coder.example.com:8080/docs/a@b",
    "https://h.example.com/x?email=alice@example.com",
    "write to alice@example.com",
    "coder-dx@1.0 https://example.com/",
  ])("leaves a URL without credentials as it is: %s", (text) => {
    expect(new Redactor().text(text)).toBe(text);
  });

  it("knows the credentials of the URLs it is configured with, written and decoded", () => {
    const settings = resolveSettings(
      {},
      {
        CODER_URL: "https://tok-SECRET-123456@coder.example.com",
        CODER_SESSION_TOKEN: "coder-token-123456",
        DX_API_TOKEN: "dx-token-1234567",
        DX_API_URL: "https://me:p%2FSECRET@dx.example.com",
      },
    );
    expect(settings.secrets).toEqual(
      expect.arrayContaining(["tok-SECRET-123456", "p%2FSECRET", "p/SECRET"]),
    );
  });

  it("keeps secrets out of what a store records", () => {
    const memory = new MemorySyncStore();
    const store = redactingStore(memory, new Redactor([SECRET]));
    const run = store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: "t" });
    const [id] = store.insertChanges([
      aChangeRow({
        runId: run.id,
        note: `echo ${SECRET}`,
        error: { code: "dx_rejected", message: SECRET },
      }),
    ]);
    store.settleChanges([
      {
        changeId: id as string,
        at: "t",
        outcome: "rejected",
        attempts: 1,
        error: { code: "dx_rejected", message: `x ${SECRET}` },
      },
    ]);
    store.finishRun(run.id, {
      status: "failed",
      finishedAt: "t",
      error: { code: "internal", message: SECRET },
      counts: memory.getRun(run.id)?.counts as never,
      sourceCount: null,
    });
    expect(
      JSON.stringify([memory.listChanges({ limit: 10 }), memory.getRun(run.id)]),
    ).not.toContain(SECRET);
  });
});

describe("secrets in errors", () => {
  it("never lets an error body that echoes the token carry it", async () => {
    const dx = await DxSimulator.start({ token: SECRET });
    try {
      dx.faults.add({
        match: /users\.list/,
        status: 400,
        body: JSON.stringify({
          ok: false,
          error: "bad_request",
          error_details: { message: `header was Bearer ${SECRET}` },
        }),
      });
      const error = await failureOf(new DxClient({ url: dx.url, token: SECRET }).listUsers());
      expect(error.message).toContain(`header was ${REDACTED}`);
      expect(error.message).not.toContain(SECRET);
    } finally {
      await dx.close();
    }
  });

  it("refuses a token with a line break without quoting it", () => {
    const env = {
      CODER_URL: "https://coder.example.com",
      CODER_SESSION_TOKEN: `${SECRET}\n`,
      DX_API_TOKEN: "dx-token-123",
    };
    let message = "";
    try {
      resolveSettings({}, env);
    } catch (error) {
      if (isCoderDxError(error)) message = error.message;
    }
    expect(message).toContain("CODER_SESSION_TOKEN contains a line break");
    expect(message).not.toContain(SECRET);
  });

  it("does not quote the config file's lines in a YAML syntax error", () => {
    const path = join(mkdtempSync(join(tmpdir(), "coder-dx-")), "c.yaml");
    writeFileSync(path, `dx:\n  token: "${SECRET}\n  concurrency: 2\n`);
    let message = "";
    try {
      loadConfigFile(path);
    } catch (error) {
      if (isCoderDxError(error)) message = error.message;
    }
    expect(message).toContain("not valid YAML or JSON");
    expect(message).not.toContain(SECRET);
  });
});
