export * from "./sqlite/open-database";
export * from "./sqlite/sqlite-sync-store";
export { columnsOf, type ColumnInfo } from "./columns";
export * as sqliteSchema from "./sqlite/schema";
export * from "./postgres/postgres-sync-store";
export * from "./postgres/copy-from-sqlite";
export { describePostgresUrl, PgConnection } from "./postgres/pg-connection";
export * from "./worker-script";
export { type JournalTarget, WorkerJournal } from "./journal";
