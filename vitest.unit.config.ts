import { defineConfig } from "vitest/config";
import { projects } from "./vitest.config.ts";

/**
 * `pnpm test:unit`: the everyday loop. Every test that runs in this process (simulators over
 * loopback, SQLite files, worker threads); none that spawns a process (`*.e2e.test.ts`), drives
 * a browser (`*.browser.test.ts`) or needs a Postgres server (`*.postgres.test.ts`).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: projects(["**/*.e2e.test.ts", "**/*.browser.test.ts", "**/*.postgres.test.ts"]),
  },
});
