import type { CoderSimulator, DxSimulator } from "@coder-dx/simulators";

/** The benchmark's people: `person000000`…, all active, a quarter each at 0, 12, 24 and 36 hours. */
export function username(i: number): string {
  return `person${String(i).padStart(6, "0")}`;
}

export function seedCoder(coder: CoderSimulator, size: number): void {
  for (let i = 0; i < size; i++)
    coder.addUser({ username: username(i), usageSeconds: (i % 4) * 12 * 3600 });
}

/** Every person known to DX, with one attribute coder-dx does not own. */
export function seedDx(dx: DxSimulator, size: number): void {
  for (let i = 0; i < size; i++)
    dx.addUser({ email: `${username(i)}@example.com`, attributes: { Department: "Engineering" } });
}
