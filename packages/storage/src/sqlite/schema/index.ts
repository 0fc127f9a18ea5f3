// The SQLite schema, one table per file; `../../postgres/schema` is its twin, and
// `schema-parity.test.ts` holds the two to the same columns, checks and indexes.
export * from "./runs";
export * from "./changes";
export * from "./user-state";
export * from "./holds";
export * from "./adoptions";
export * from "./deliveries";
export * from "./lease";
export * from "./notifications";
export * from "./events";
export * from "./budget-members";
