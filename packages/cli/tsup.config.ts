import { defineConfig } from "tsup";

// The CLI is the one deployable: workspace packages are inlined, native and
// third-party modules stay external and come from node_modules.
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  noExternal: [/^@coder-dx\//],
  external: ["better-sqlite3"],
  banner: { js: "#!/usr/bin/env node" },
  clean: true,
  sourcemap: true,
});
