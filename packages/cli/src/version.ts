import manifest from "../package.json" with { type: "json" };

/** The CLI's version, from its package.json (bundled into dist/main.js at build time). */
export const VERSION: string = manifest.version;
