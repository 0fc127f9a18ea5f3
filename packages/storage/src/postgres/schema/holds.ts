import { pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** Steady levels: since when a lower value has been computed for a person's group. */
export const holds = pgTable(
  "holds",
  {
    email: text("email").notNull(),
    groupName: text("group_name").notNull(),
    since: text("since").notNull(),
  },
  (t) => [primaryKey({ columns: [t.email, t.groupName] })],
);
