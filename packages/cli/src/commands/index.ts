import type { Command } from "commander";
import type { Cli } from "../context";
import { registerApply } from "./apply";
import { registerAudit } from "./audit";
import { registerDemo } from "./demo";
import { registerDoctor } from "./doctor";
import { registerEvents } from "./events";
import { registerExport } from "./export";
import { registerInit } from "./init";
import { registerMigrateStore } from "./migrate-store";
import { registerPlan } from "./plan";
import { registerPrune } from "./prune";
import { registerReport } from "./report";
import { registerRuns } from "./runs";
import { registerServe } from "./serve";
import { registerSync } from "./sync";
import { registerUsers } from "./users";

/** Every command, in the order `coder-dx --help` lists them. */
export function registerCommands(program: Command, cli: Cli): void {
  for (const register of [
    registerSync,
    registerPlan,
    registerApply,
    registerRuns,
    registerAudit,
    registerEvents,
    registerUsers,
    registerExport,
    registerPrune,
    registerMigrateStore,
    registerReport,
    registerDoctor,
    registerInit,
    registerServe,
    registerDemo,
  ])
    register(program, cli);
}
