import { defineConfig } from "vitest/config";

const packages = ["core", "storage", "simulators", "cli", "server", "bench"];

export default defineConfig({
  test: {
    // End-to-end tests start real CLI processes (about a second each under tsx).
    testTimeout: 30_000,
    projects: packages.map((name) => ({
      extends: true,
      test: { name, root: `packages/${name}`, passWithNoTests: true },
    })),
  },
});
