import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The processes that share the account's DX request budget, by budget name: when each may send
 * from and when it last looked (epoch ms). See core's `SharedBudget` and `lookAtMembers`.
 */
export const budgetMembers = sqliteTable(
  "budget_members",
  {
    name: text("name").notNull(),
    holder: text("holder").notNull(),
    activeFrom: integer("active_from").notNull(),
    seenAt: integer("seen_at").notNull(),
    /** When it left (its requests still count until they have left DX's windows), or null. */
    leftAt: integer("left_at"),
  },
  (t) => [primaryKey({ columns: [t.name, t.holder] })],
);
