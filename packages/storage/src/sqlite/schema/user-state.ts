import { sqliteTable, text } from "drizzle-orm/sqlite-core";

/** What DX last confirmed per email: the fallback for users DX's listing omits. */
export const userState = sqliteTable("user_state", {
  email: text("email").primaryKey(),
  coderUserId: text("coder_user_id"),
  /** The Coder username, as the last real run read it: what People search finds besides the email. */
  username: text("username"),
  attributes: text("attributes", { mode: "json" }).$type<Record<string, string | null>>().notNull(),
  properties: text("properties", { mode: "json" }).$type<Record<string, string | null>>().notNull(),
  updatedAt: text("updated_at").notNull(),
  unmatchedAt: text("unmatched_at"),
  unmatchedAttributes: text("unmatched_attributes", { mode: "json" }).$type<
    Record<string, string | null>
  >(),
});
