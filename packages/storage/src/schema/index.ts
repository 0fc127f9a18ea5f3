export * from "./changes";
export * from "./lease";
export * from "./runs";
export * from "./user-state";
export * from "./deliveries";
export * from "./holds";
export * from "./adoptions";
