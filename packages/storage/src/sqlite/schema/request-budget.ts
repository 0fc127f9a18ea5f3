import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The account's DX request timeline, shared by every process on this database: where the last
 * reservation of request slots ended (epoch ms). See core's `SharedBudget`.
 */
export const requestBudget = sqliteTable("request_budget", {
  name: text("name").primaryKey(),
  nextAt: integer("next_at").notNull(),
});
