import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { projects } from "./vitest.config.ts";

/**
 * `pnpm test:unit`: the everyday loop. Every test that runs in this process (simulators over
 * loopback, SQLite files, worker threads); none that spawns a process (`*.e2e.test.ts`), drives
 * a browser (`*.browser.test.ts`) or needs a Postgres server (`*.postgres.test.ts`). In-process
 * tests leave no core to a spawned CLI, so they take every core (vitest's default leaves one
 * idle: 65 s instead of 43 s on a 2-core machine).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    maxWorkers: availableParallelism(),
    projects: projects(["**/*.e2e.test.ts", "**/*.browser.test.ts", "**/*.postgres.test.ts"]),
  },
});
