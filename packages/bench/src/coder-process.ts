/**
 * The Coder simulator in a process of its own, for the latency-bound benchmark. A real Coder
 * and a real DX answer from different machines; in one event loop, Coder's large answers (a
 * 20,000-row report, 5,000-user pages) held DX's answers back by up to 43 ms, a contention no
 * real deployment has, timed as if the client were slow.
 */
import { startCoder } from "./seed";

const [size, latencyMs, keepAliveTimeoutMs] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
];
if (!process.send) throw new Error("coder-process runs as a child process with an IPC channel");
const coder = await startCoder(size, latencyMs, { keepAliveTimeoutMs });
process.once("message", async () => {
  await coder.close();
  process.disconnect();
});
process.send({ url: coder.url, token: coder.token });
