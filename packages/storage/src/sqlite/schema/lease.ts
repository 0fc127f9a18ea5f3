import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One row per lease name: who may run a sync on this database now, and until when. */
export const lease = sqliteTable("lease", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: integer("expires_at").notNull(),
});
