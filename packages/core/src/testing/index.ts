export * from "./builders";
export * from "./memory-store";
export * from "./sync-store-contract";
export * from "./failure";
export * from "./loopback";
