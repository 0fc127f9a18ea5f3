import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Values coder-dx found DX already holding and took as its own, without a write: with the
 * applied writes in `changes`, they make each person's history (the cohort report).
 */
export const adoptions = sqliteTable(
  "adoptions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    email: text("email").notNull(),
    /** The owned groups' values DX held: `{"<group>": "<value>"|null}`. */
    attributes: text("attributes", { mode: "json" })
      .$type<Record<string, string | null>>()
      .notNull(),
  },
  (t) => [index("adoptions_at_idx").on(t.at, t.id), index("adoptions_email_idx").on(t.email, t.id)],
);
