import { configDefaults, defineConfig } from "vitest/config";

const packages = ["core", "storage", "simulators", "cli", "server", "bench"];

/** One project per package; `exclude` leaves out whole kinds of test (see vitest.unit.config.ts). */
export function projects(exclude: string[] = []) {
  return packages.map((name) => ({
    extends: true as const,
    test: {
      name,
      root: `packages/${name}`,
      passWithNoTests: true,
      exclude: [...configDefaults.exclude, ...exclude],
    },
  }));
}

// `pnpm test`: everything, the end-to-end tests that start real CLI processes (about a second
// each under tsx), the browser tests and the Postgres tests included.
export default defineConfig({
  test: { testTimeout: 30_000, projects: projects() },
});
