export * from "./open-database";
export * from "./sqlite-sync-store";
export * from "./postgres/postgres-sync-store";
export * from "./postgres/copy-from-sqlite";
export { describePostgresUrl, PgConnection } from "./postgres/pg-connection";
export * from "./worker-script";
export { type JournalTarget, WorkerJournal } from "./journal";
