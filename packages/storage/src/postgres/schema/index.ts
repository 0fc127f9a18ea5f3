export * from "./adoptions";
export * from "./changes";
export * from "./deliveries";
export * from "./holds";
export * from "./lease";
export * from "./runs";
export * from "./user-state";
export * from "./notifications";
