import { bigint, pgTable, text } from "drizzle-orm/pg-core";

/** The account's DX request timeline (see ../../sqlite/schema/request-budget.ts). */
export const requestBudget = pgTable("request_budget", {
  name: text("name").primaryKey(),
  nextAt: bigint("next_at", { mode: "number" }).notNull(),
});
