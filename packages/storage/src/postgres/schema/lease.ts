import { bigint, pgTable, text } from "drizzle-orm/pg-core";

/** One row per lease name: who may run a sync on this database now, and until when (ms). */
export const lease = pgTable("lease", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
});
