// Preloaded into the CLI under benchmark: reports its peak resident set size when it exits.
process.on("exit", () => {
  process.stderr.write(`\nBENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
});
