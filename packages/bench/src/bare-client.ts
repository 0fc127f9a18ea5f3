/**
 * The practical limit for the latency-bound benchmark: a bare keep-alive undici client, in a
 * process of its own as the CLI is, sending the same writes to the same DX simulator with the
 * same concurrency and socket settings, and nothing else (no reads, no plan, no record). Prints
 * its figures as JSON on stdout.
 *
 * Usage: bare-client.ts <dx url> <token> <writes.json> <concurrency>
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";

const [url, token, file, concurrency] = process.argv.slice(2) as [string, string, string, string];
const writes = JSON.parse(readFileSync(file, "utf8")) as {
  email: string;
  attributes: { name: string; value: string | null }[];
}[];
// The pool coder-dx uses (core's createDispatcher): keep-alive past a 1 s hint, one request per socket.
const dispatcher = new Agent({
  connections: Number(concurrency),
  pipelining: 1,
  keepAliveTimeout: 10_000,
  keepAliveTimeoutThreshold: 250,
});
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
let next = 0;
let failed = 0;
const started = performance.now();
let first: number | null = null;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < writes.length) {
      const body = JSON.stringify(writes[next++]);
      first ??= performance.now();
      const response = await request(`${url}/users.attributes.update`, {
        method: "POST",
        headers,
        body,
        dispatcher,
      });
      const answer = (await response.body.json()) as { ok?: unknown };
      if (response.statusCode !== 200 || answer.ok !== true) failed += 1;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await dispatcher.close();
process.stdout.write(
  JSON.stringify({
    writes: writes.length,
    failed,
    seconds,
    writesPerSecond: writes.length / seconds,
  }),
);
