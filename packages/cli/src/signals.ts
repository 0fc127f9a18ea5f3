import { setMaxListeners } from "node:events";
import { EXIT } from "./exit-codes";

/**
 * How long after the first stop signal another one is the same request. Ctrl-C in a terminal
 * signals the whole foreground process group, and a wrapper in it (pnpm, npm, a shell script
 * that did not exec) forwards the signal too: the CLI receives it twice within milliseconds
 * (about 30 ms under `pnpm -s coder-dx`). A second press by a person comes later than this.
 */
export const SAME_REQUEST_MS = 500;

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export const exitCodeFor = (signal: NodeJS.Signals): number =>
  signal === "SIGINT" ? EXIT.sigint : EXIT.sigterm;

export interface StopRequests {
  /** The first stop signal received, or null. */
  received(): StopSignal | null;
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM for as long as the caller runs. The first is a request to
 * stop (`first`); another within `SAME_REQUEST_MS` is the same request delivered twice and is
 * only noted; one after that is a second request: quit now (`again`). Never the default action,
 * which would kill the process with its run half recorded.
 */
export function onStopSignals(handlers: {
  first(signal: StopSignal): void;
  again(signal: StopSignal): void;
  /** Told of a repeat ignored as the same request (for the log). */
  repeated?(signal: StopSignal, afterMs: number): void;
}): StopRequests {
  let first: { signal: StopSignal; at: number } | null = null;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      const now = performance.now();
      if (!first) {
        first = { signal, at: now };
        handlers.first(signal);
      } else if (now - first.at < SAME_REQUEST_MS) {
        handlers.repeated?.(signal, Math.round(now - first.at));
      } else handlers.again(signal);
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return {
    received: () => first?.signal ?? null,
    dispose: () => {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    },
  };
}

export interface SignalStop {
  /** Aborted at the first SIGINT/SIGTERM: no new DX write starts. Its reason names the signal. */
  signal: AbortSignal;
  /** Aborted `drainMs` later: writes still in flight are abandoned (their rows stay pending). */
  abortSignal: AbortSignal;
  /** The exit code the signal asks for (130, 143), or null when none came. */
  exitCode(): number | null;
  dispose(): void;
}

/**
 * A run's graceful stop: the first Ctrl-C or SIGTERM stops starting writes and lets those in
 * flight land and be recorded; after the drain deadline the rest are aborted; a second request
 * (a signal more than `SAME_REQUEST_MS` after the first) exits at once, and the next run settles
 * whatever was left pending.
 */
export function stopOnSignals(
  note: (text: string) => void,
  exitNow: (code: number) => void,
  drainMs: number,
): SignalStop {
  const stop = new AbortController();
  const abort = new AbortController();
  // Every write in flight listens to them: not a leak.
  setMaxListeners(0, stop.signal, abort.signal);
  let drain: NodeJS.Timeout | null = null;
  const requests = onStopSignals({
    first: (signal) => {
      note(
        `${signal}: stopping; writes in flight land and are recorded (up to ${drainMs / 1000} s; ${signal === "SIGINT" ? "Ctrl-C" : signal} again quits at once)`,
      );
      stop.abort(signal);
      drain = setTimeout(() => abort.abort(), drainMs);
    },
    again: (signal) => {
      note(`${signal} again: exiting now; the next run settles the writes left in flight`);
      exitNow(exitCodeFor(signal));
    },
  });
  return {
    signal: stop.signal,
    abortSignal: abort.signal,
    exitCode: () => {
      const signal = requests.received();
      return signal ? exitCodeFor(signal) : null;
    },
    dispose: () => {
      requests.dispose();
      if (drain) clearTimeout(drain);
    },
  };
}
