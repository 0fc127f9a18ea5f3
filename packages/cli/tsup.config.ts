import { cpSync } from "node:fs";
import { createRequire } from "node:module";
import { defineConfig } from "tsup";

const require = createRequire(new URL("../server/package.json", import.meta.url));

// The CLI is the deployable: everything is bundled into dist/main.js except the native
// better-sqlite3, and the storage migrations are copied beside the bundle.
export default defineConfig({
  // The console's cohort worker is its own file: a worker thread starts from a path.
  entry: {
    main: "src/main.ts",
    "workers/cohort-series": "src/workers/cohort-series.ts",
    "workers/pg": "../storage/src/postgres/worker.ts",
    "workers/journal": "../storage/src/journal-worker.ts",
  },
  format: ["esm"],
  platform: "node",
  target: "node20",
  noExternal: [/^(?!better-sqlite3$).*/],
  // pg's optional native binding is never used (pure JS client).
  external: ["better-sqlite3", "pg-native"],
  // A run allocates many short-lived objects (a page of users, an answer per write): a larger
  // young generation collects them far less often (a 20,000-person first sync: 10% less CPU,
  // 0.5 s less wall). The old generation is capped at 1 GiB: V8 sizes its collections by the
  // cap, and with a machine's default (a quarter of memory) it lets a frequency run's 28 day
  // reports pile up as garbage (100,000 people: 500 MB resident, 400 MB capped, with about
  // 160 MB live). 1 GiB holds about 600,000 people; README says how to raise it.
  // V8 takes the flags only at start, hence the shebang (`env -S`: GNU, BSD).
  banner: {
    js: "#!/usr/bin/env -S node --max-semi-space-size=32 --max-old-space-size=1024\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  clean: true,
  sourcemap: true,
  onSuccess: async () => {
    cpSync("../storage/migrations", "dist/migrations", { recursive: true });
    cpSync("../storage/migrations-pg", "dist/migrations-pg", { recursive: true });
    // The web console's chart library, served by the app itself (no CDN).
    for (const file of ["uPlot.iife.min.js", "uPlot.min.css"])
      cpSync(require.resolve(`uplot/dist/${file}`), `dist/assets/${file}`);
  },
});
