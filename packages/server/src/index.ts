export * from "./app";
export * from "./auth";
export * from "./context";
export * from "./errors";
export * from "./metrics";
export * from "./service";
