import { cpSync } from "node:fs";
import { defineConfig } from "tsup";

// The CLI is the deployable: everything is bundled into dist/main.js except the native
// better-sqlite3, and the storage migrations are copied beside the bundle.
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  noExternal: [/^(?!better-sqlite3$).*/],
  external: ["better-sqlite3"],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  clean: true,
  sourcemap: true,
  onSuccess: async () => {
    cpSync("../storage/migrations", "dist/migrations", { recursive: true });
  },
});
