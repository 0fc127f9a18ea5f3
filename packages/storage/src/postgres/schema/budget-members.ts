import { bigint, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** The processes that share the account's DX request budget (see ../../sqlite/schema/budget-members.ts). */
export const budgetMembers = pgTable(
  "budget_members",
  {
    name: text("name").notNull(),
    holder: text("holder").notNull(),
    activeFrom: bigint("active_from", { mode: "number" }).notNull(),
    seenAt: bigint("seen_at", { mode: "number" }).notNull(),
    leftAt: bigint("left_at", { mode: "number" }),
  },
  (t) => [primaryKey({ columns: [t.name, t.holder] })],
);
