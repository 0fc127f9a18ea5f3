import { index, jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";

/** Values found in DX and adopted without a write (see ../../schema/adoptions.ts). */
export const adoptions = pgTable(
  "adoptions",
  {
    id: serial("id").primaryKey(),
    at: text("at").notNull(),
    email: text("email").notNull(),
    attributes: jsonb("attributes").$type<Record<string, string | null>>().notNull(),
  },
  (t) => [index("adoptions_at_idx").on(t.at, t.id), index("adoptions_email_idx").on(t.email, t.id)],
);
