import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CoderClient, DxClient, silentLogger } from "@coder-dx/core";
import { aConfig, MemorySyncStore } from "@coder-dx/core/testing";
import { describe, expect, it } from "vitest";
import { parseApiTokens } from "./auth";
import { Metrics } from "./metrics";
import { startService } from "./service";

describe("the service", () => {
  it("names a busy port in one clear error, and leaves no schedule running", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const unused = "http://127.0.0.1:9";
      const store = new MemorySyncStore();
      const attempt = startService({
        host: "127.0.0.1",
        port,
        syncDeps: {
          coder: new CoderClient({ url: unused, token: "t" }),
          dx: new DxClient({ url: unused, token: "t" }),
          store,
          log: silentLogger,
        },
        config: aConfig(),
        tokens: parseApiTokens(["admin:admin-token-0123456789"], "test"),
        metrics: new Metrics(),
        log: silentLogger,
        schedule: "* * * * * *",
      });
      await expect(attempt).rejects.toMatchObject({
        code: "usage_invalid",
        message: `127.0.0.1:${port} is already in use (another coder-dx serve?); choose another with --port`,
      });
      // The every-second schedule was stopped with the failed start: no run begins.
      await new Promise((r) => setTimeout(r, 1100));
      expect(store.listRuns({ limit: 1 }).items).toEqual([]);
    } finally {
      taken.close();
    }
  });
});
