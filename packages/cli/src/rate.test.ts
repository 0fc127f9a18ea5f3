import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoderClient, DxClient, runSync } from "@coder-dx/core";
import { aConfig } from "@coder-dx/core/testing";
import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";
import { it } from "vitest";

it("rate", async () => {
  const coder = await CoderSimulator.start();
  const dx = await DxSimulator.start();
  for (let i = 0; i < 700; i++) {
    const u = coder.addUser({ username: `p${i}` });
    dx.addUser({ email: u.email });
  }
  const store = new SqliteSyncStore(openDatabase(join(mkdtempSync(join(tmpdir(), "r-")), "x.db")));
  const fast = aConfig({ dx: { requestsPerMinute: 60000 }, coder: { requestsPerMinute: 60000 } });
  const clients = (c: ReturnType<typeof aConfig>) => ({
    coder: new CoderClient({ ...c.coder, url: coder.url, token: coder.token }),
    dx: new DxClient({ ...c.dx, url: dx.url, token: dx.token }),
  });
  await runSync({ ...clients(fast), store }, { config: fast, trigger: "cli" });
  for (let i = 0; i < 300; i++)
    coder.updateUser(coder.findUser(`p${i}`).id, { status: "suspended" });
  dx.faults.latencyMs = 20;
  const slow = aConfig({ dx: { requestsPerMinute: 600 }, coder: { requestsPerMinute: 60000 } });
  const t = performance.now();
  const r = await runSync(
    { ...clients(slow), store },
    { config: slow, trigger: process.env.TRIG as never },
  );
  const times = dx.requests
    .filter((q) => q.key.includes("attributes"))
    .slice(-300)
    .map((w) => w.at);
  const t0 = times[0]!;
  const buckets: number[] = [];
  for (const x of times) {
    const b = Math.floor((x - t0) / 1000);
    buckets[b] = (buckets[b] ?? 0) + 1;
  }
  console.log(
    process.env.TRIG,
    r.run.counts.applied,
    ((performance.now() - t) / 1000).toFixed(1),
    "s; per second:",
    JSON.stringify([...buckets].map((b) => b ?? 0)),
  );
}, 200000);
