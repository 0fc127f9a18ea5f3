import { jsonb, pgTable, text } from "drizzle-orm/pg-core";

/** What DX last confirmed per email (see ../../schema/user-state.ts). */
export const userState = pgTable("user_state", {
  email: text("email").primaryKey(),
  coderUserId: text("coder_user_id"),
  username: text("username"),
  attributes: jsonb("attributes").$type<Record<string, string | null>>().notNull(),
  properties: jsonb("properties").$type<Record<string, string | null>>().notNull(),
  updatedAt: text("updated_at").notNull(),
  unmatchedAt: text("unmatched_at"),
  unmatchedAttributes: jsonb("unmatched_attributes").$type<Record<string, string | null>>(),
});
