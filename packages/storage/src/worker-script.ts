import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * How to start a worker thread whose code is `bundled` beside the CLI bundle, or `source` (a
 * TypeScript file) when running from source: then a small script registers tsx in the worker
 * and imports it. `tsxApi` is asked only then: an installed coder-dx has no tsx to find (the
 * caller resolves it from its own file, not from the working directory).
 */
export function workerScript(
  bundled: URL,
  source: URL,
  tsxApi: () => string,
): { script: string | URL; eval: boolean } {
  if (existsSync(fileURLToPath(bundled))) return { script: bundled, eval: false };
  return {
    script: `import(${JSON.stringify(tsxApi())}).then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); });`,
    eval: true,
  };
}
