import type { Command } from "commander";

/**
 * What each command's `--help` ends with: a few lines to copy. Keyed by the command's path
 * (`runs list`); every command has some (examples.test.ts).
 */
export const EXAMPLES: Record<string, string[]> = {
  sync: [
    "coder-dx sync --dry-run            # plan and record; write nothing",
    "coder-dx sync                      # push what changed",
    "coder-dx sync --email ada@example.com --json",
    "coder-dx sync --status             # status only: Coder's users, no usage, no DX listing",
  ],
  plan: ["coder-dx plan", "coder-dx plan --out plan.json && coder-dx apply plan.json"],
  apply: ["coder-dx apply plan.json", "coder-dx apply plan.json --force --json"],
  "runs list": ["coder-dx runs list", "coder-dx runs list --limit 100 --json"],
  "runs show": ["coder-dx runs show 42", "coder-dx runs show 42 --json"],
  audit: [
    "coder-dx audit --run 42",
    "coder-dx audit --email ada@example.com",
    "coder-dx audit --outcome rejected --since 2026-11-01 --csv > rejected.csv",
  ],
  events: [
    "coder-dx events",
    "coder-dx events --outcome unknown",
    "coder-dx events --name coder.user.suspended --since 2026-12-01 --csv",
  ],
  "users show": [
    "coder-dx users show ada@example.com",
    "coder-dx users show ada@example.com --at 2026-11-01",
  ],
  export: ["coder-dx export > coder-users.csv", "coder-dx export --json | jq '.users | length'"],
  prune: ["coder-dx prune --before 2025-12-01"],
  "migrate-store": [
    "coder-dx migrate-store --from coder-dx.db --to postgres://coder_dx@db/coder_dx",
  ],
  report: [
    "coder-dx report",
    "coder-dx report --at 2026-11-30",
    "coder-dx report --from 2026-10-31 --to 2026-11-30 --csv",
  ],
  doctor: ["coder-dx doctor"],
  init: ["coder-dx init", "coder-dx init --out /etc/coder-dx/coder-dx.yaml"],
  serve: [
    'CODER_DX_API_TOKENS="admin:$(openssl rand -hex 24)" coder-dx serve --port 8080',
    'coder-dx serve --schedule "0 * * * *"',
  ],
  demo: ["coder-dx demo", "coder-dx demo --people 2000 --keep"],
};

/** A command's path below the program: `sync`, `runs list`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Every command that runs something (not a group like `runs`), with its path. */
export function leafCommands(program: Command): Command[] {
  return program.commands.flatMap((c) => (c.commands.length > 0 ? leafCommands(c) : [c]));
}

/** Ends each command's --help with its examples. */
export function addExamples(program: Command): void {
  for (const command of leafCommands(program)) {
    const lines = EXAMPLES[commandPath(command)];
    if (lines)
      command.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}`);
  }
}
