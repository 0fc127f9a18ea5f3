export * from "./open-database";
export * from "./sqlite-sync-store";
