import { setMaxListeners } from "node:events";
import { EXIT } from "./exit-codes";

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
 * flight land and be recorded; after the drain deadline the rest are aborted; a second signal
 * exits at once (the next run settles whatever was left pending).
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
  let received: NodeJS.Signals | null = null;
  let drain: NodeJS.Timeout | null = null;
  const codeOf = (signal: NodeJS.Signals) => (signal === "SIGINT" ? EXIT.sigint : EXIT.sigterm);
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      note(`${signal} again: exiting now; the next run settles the writes left in flight`);
      exitNow(codeOf(signal));
      return;
    }
    received = signal;
    note(
      `${signal}: stopping; writes in flight land and are recorded (up to ${drainMs / 1000} s; ${signal === "SIGINT" ? "Ctrl-C" : signal} again quits at once)`,
    );
    stop.abort(signal);
    drain = setTimeout(() => abort.abort(), drainMs);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: stop.signal,
    abortSignal: abort.signal,
    exitCode: () => (received ? codeOf(received) : null),
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (drain) clearTimeout(drain);
    },
  };
}
