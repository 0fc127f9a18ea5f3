import type { Context, MiddlewareHandler } from "hono";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A fault switched on in a simulator: matching requests get it instead of (or, for `delayMs`,
 * before) the normal answer. `times` counts down; omit it for "until cleared".
 */
export interface Fault {
  /** Matched against `METHOD /path`, e.g. /users\.attributes\.update/. */
  match?: RegExp;
  /** Only requests whose JSON body names this email (DX writes). */
  email?: string;
  times?: number;
  /** Let this many matching requests through before the fault starts. */
  skip?: number;
  status?: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Handle the request normally, then hold the answer this long (the write has happened). */
  holdResponseMs?: number;
  /** Destroy the connection without an answer. */
  reset?: boolean;
  /** Answer 200 with this body cut to half its length (needs `body`). */
  truncate?: boolean;
  /** Hold the request until this settles, then handle it normally (see `FaultSwitch.gate`). */
  gate?: Promise<void>;
}

export class FaultSwitch {
  private faults: Fault[] = [];
  /**
   * Latency for benchmarks: no answer leaves sooner than this after its request arrived. The
   * simulator's own work happens inside that time, as a real service's does inside its
   * response time, so a benchmark measures the client against the latency it asked for.
   */
  latencyMs = 0;

  add(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /**
   * Holds every matching request until `release()`: a run stays in flight exactly as long as a
   * test needs, with no race against latency.
   */
  gate(fault: Omit<Fault, "gate"> = {}): { release(): void } {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.add({ ...fault, gate });
    return { release };
  }

  clear(): void {
    this.faults = [];
  }

  async take(method: string, path: string, email: string | null): Promise<Fault | null> {
    const key = `${method} ${path}`;
    const index = this.faults.findIndex(
      (f) =>
        (f.match === undefined || f.match.test(key)) &&
        (f.email === undefined || f.email === email) &&
        (f.times === undefined || f.times > 0),
    );
    if (index < 0) return null;
    const fault = this.faults[index] as Fault;
    if (fault.skip !== undefined && fault.skip > 0) {
      fault.skip -= 1;
      return null;
    }
    if (fault.times !== undefined) fault.times -= 1;
    return fault;
  }

  middleware(emailOf: (c: Context) => Promise<string | null>): MiddlewareHandler {
    const handle: MiddlewareHandler = async (c, next) => {
      if (this.faults.length === 0) return next();
      // The body is read only when a fault asks which person a write is for.
      const email = this.faults.some((f) => f.email !== undefined) ? await emailOf(c) : null;
      const fault = await this.take(c.req.method, c.req.path, email);
      if (!fault) return next();
      if (fault.gate) {
        await fault.gate;
        return next();
      }
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.holdResponseMs) {
        await next();
        await sleep(fault.holdResponseMs);
        return;
      }
      if (fault.reset) {
        const incoming = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)
          ?.incoming;
        incoming?.socket?.destroy();
        return new Response(null, { status: 499 });
      }
      if (fault.status === undefined && fault.body === undefined) return next();
      let body = fault.body ?? "";
      if (fault.truncate) body = body.slice(0, Math.floor(body.length / 2));
      return new Response(body, {
        status: fault.status ?? 200,
        headers: { "content-type": fault.contentType ?? "application/json", ...fault.headers },
      });
    };
    return async (c, next) => {
      if (this.latencyMs <= 0) return handle(c, next);
      const arrived = performance.now();
      const response = await handle(c, next);
      // Node's timers fire on the loop's whole milliseconds, late by about one on average:
      // rounding down keeps the mean answer time at the latency asked for (a 20 ms setting is
      // seen by a client as 20.8 ms on average, p10 19.6, p90 22.2).
      const left = this.latencyMs - (performance.now() - arrived);
      if (left >= 1) await sleep(Math.floor(left));
      return response;
    };
  }
}
