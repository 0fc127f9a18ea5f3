import { primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Steady levels: since when a lower value has been computed for a person's group. */
export const holds = sqliteTable(
  "holds",
  {
    email: text("email").notNull(),
    groupName: text("group_name").notNull(),
    since: text("since").notNull(),
  },
  (t) => [primaryKey({ columns: [t.email, t.groupName] })],
);
