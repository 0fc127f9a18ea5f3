import { randomUUID } from "node:crypto";
import type { Run } from "@coder-dx/core";
import { PgConnection } from "@coder-dx/storage";
import { afterEach, describe, expect, it } from "vitest";
import { startScenario } from "./testing/scenario";
import { type ServeProcess, startServe } from "./testing/serve-process";

/** `.ci/run` starts a Postgres server and sets this; without one, these tests skip. */
const POSTGRES = process.env.CODER_DX_TEST_POSTGRES;
if (!POSTGRES)
  console.warn(
    "replica tests skipped: set CODER_DX_TEST_POSTGRES=postgres://… (.ci/run starts a server)",
  );

const OPERATOR = "e2e-operator-0123456789";

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A database of its own on the test server. */
function freshDatabase(): string {
  const admin = new PgConnection(POSTGRES as string);
  const name = `coder_dx_replicas_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  try {
    admin.query(`CREATE DATABASE ${name}`);
  } finally {
    admin.close();
  }
  const url = new URL(POSTGRES as string);
  url.pathname = `/${name}`;
  return url.toString();
}

const post = (server: ServeProcess) =>
  fetch(`${server.url}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" },
    body: "{}",
  });

async function runOf(server: ServeProcess, id: string): Promise<Run> {
  const response = await fetch(`${server.url}/v1/runs/${id}`, {
    headers: { authorization: `Bearer ${OPERATOR}` },
  });
  return ((await response.json()) as { run: Run }).run;
}

describe.skipIf(!POSTGRES)("two serve replicas on one Postgres database", () => {
  it("let exactly one of two simultaneous runs start, and the survivor of a killed replica finishes the job", async () => {
    const s = await startScenario({ dx: { concurrency: 2 } });
    cleanup.push(s.close);
    for (let i = 0; i < 20; i++) s.person(`member${String(i).padStart(3, "0")}`);
    const env = {
      ...s.env,
      CODER_DX_DB: freshDatabase(),
      CODER_DX_API_TOKENS: `operator:${OPERATOR}`,
    };
    const [a, b] = await Promise.all([startServe([], env), startServe([], env)]);
    for (const server of [a, b] as ServeProcess[])
      cleanup.push(() =>
        server.child.exitCode === null ? server.stop("SIGKILL") : Promise.resolve(),
      );
    const first = a as ServeProcess;
    const second = b as ServeProcess;

    const gate = s.dx.faults.gate({ match: /attributes\.update/ }); // the run stays in flight
    const answers = await Promise.all([post(first), post(second)]);
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    const winner = answers[0]?.status === 202 ? first : second;
    const survivor = winner === first ? second : first;
    const { run } = (await (answers[0]?.status === 202 ? answers[0] : answers[1])?.json()) as {
      run: Run;
    };
    const refused = (await (answers[0]?.status === 409 ? answers[0] : answers[1])?.json()) as {
      error: { code: string };
    };
    expect(refused.error.code).toBe("run_in_progress");

    // The replica running the job dies mid-run; its writes in flight still reach DX.
    await winner.stop("SIGKILL");
    gate.release();

    const retry = await post(survivor);
    expect(retry.status).toBe(202);
    const { run: next } = (await retry.json()) as { run: Run };
    let finished = next;
    for (let i = 0; i < 200 && finished.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      finished = await runOf(survivor, next.id);
    }
    expect(finished.status).toBe("succeeded");
    const killed = await runOf(survivor, run.id);
    expect(killed.status).not.toBe("running");
    for (let i = 0; i < 20; i++) {
      const email = `member${String(i).padStart(3, "0")}@example.com`;
      expect(s.dx.attributesOf(email), email).toMatchObject({ Coder: "Active" });
    }
  });
});
