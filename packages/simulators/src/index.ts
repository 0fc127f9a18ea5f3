export * from "./coder-notifications";
export * from "./coder-simulator";
export * from "./dx-simulator";
export * from "./faults";
export * from "./listen";
export * from "./seed";
