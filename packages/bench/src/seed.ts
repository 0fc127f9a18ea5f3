import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";

/** The benchmark's people: `person000000`…, all active, a quarter each at 0, 12, 24 and 36 hours. */
function username(i: number): string {
  return `person${String(i).padStart(6, "0")}`;
}

function seedCoder(coder: CoderSimulator, size: number): void {
  for (let i = 0; i < size; i++)
    coder.addUser({ username: username(i), usageSeconds: (i % 4) * 12 * 3600 });
}

/** Every person known to DX, with one attribute coder-dx does not own. */
function seedDx(dx: DxSimulator, size: number): void {
  for (let i = 0; i < size; i++)
    dx.addUser({ email: `${username(i)}@example.com`, attributes: { Department: "Engineering" } });
}

/** Coder's simulator with `size` people, primed (warm answers), `latencyMs` on every request. */
export async function startCoder(
  size: number,
  latencyMs: number,
  options: { keepAliveTimeoutMs?: number },
): Promise<CoderSimulator> {
  const coder = await CoderSimulator.start(options);
  seedCoder(coder, size);
  coder.prime();
  coder.faults.latencyMs = latencyMs;
  return coder;
}

/** DX's simulator with the same people, `latencyMs` on every request. */
export async function startDx(
  size: number,
  latencyMs: number,
  options: { keepAliveTimeoutMs?: number },
): Promise<DxSimulator> {
  const dx = await DxSimulator.start(options);
  seedDx(dx, size);
  dx.faults.latencyMs = latencyMs;
  return dx;
}
