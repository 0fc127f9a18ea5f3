import type { PlatformXClient } from "../clients/platformx-client";
import type { Config } from "../config/schema";
import { STATUS_KINDS } from "../domain/hints";
import type { NotificationKind } from "../domain/notification";
import { type EventOutcome, platformxEventNames } from "../domain/platformx-events";
import { type ErrorInfo, isCoderDxError, toErrorInfo } from "../errors";
import {
  type Clock,
  type Logger,
  type PlatformxEvent,
  type SyncStore,
  systemClock,
} from "../ports";
import { holderIsDead } from "./lease";

/** The PlatformX event names the config follows, by kind; empty when PlatformX is off. */
export function followedEvents(config: Config): Map<NotificationKind, string> {
  return config.platformx.token === null ? new Map() : platformxEventNames(config.platformx.events);
}

/** The notification kinds a run is for: status changes (Live), and those PlatformX follows. */
export function followedKinds(config: Config): Set<NotificationKind> {
  return new Set<NotificationKind>([...STATUS_KINDS, ...followedEvents(config).keys()]);
}

/** How long a send may be under way before one with no live process behind it counts as cut short. */
const CLAIM_STALE_MS = 10 * 60_000;
/** Events looked at per dispatch; a dispatch goes on while more wait. */
const BATCH = 500;
/** Sends of one event DX answered with an error (5xx) before it is given up as `rejected`. */
const MAX_SENDS = 20;
/** Sends at once: the account's budget paces them anyway. */
const CONCURRENCY = 4;

export interface DispatchStops {
  signal?: AbortSignal | undefined;
  abortSignal?: AbortSignal | undefined;
}

export interface DispatchResult {
  sent: number;
  rejected: number;
  unknown: number;
  /** Put back for later: DX asked for patience (429), or could not be reached. */
  deferred: number;
}

export interface PlatformxDeps {
  store: Pick<SyncStore, "pendingEvents" | "claimEvent" | "settleEvent">;
  client: Pick<PlatformXClient, "track">;
  log: Logger;
  clock?: Clock;
  /** This process, as the lease names it: whose send a claim is. */
  holder: string;
  /** Told each outcome (metrics). */
  onOutcome?: (event: PlatformxEvent, outcome: EventOutcome) => void;
}

/**
 * Sends the outbox's pending events to PlatformX (`events.track`), each recorded before it is
 * sent and settled after: `sent`, `rejected` (DX's code), or `unknown` when the answer was lost
 * (a timeout, a kill: DX may have it, and events.track is not idempotent, so it is not sent
 * again unless `platformx.resendUnknown`). A 429 puts an event back for later. A token DX
 * refuses stops this process's sends (reported, and tried again after `pauseMs`); it never
 * touches an attribute run. One dispatch at a time per process; several processes share the
 * outbox, each claiming what it sends.
 */
export class PlatformxDispatcher {
  private running: Promise<DispatchResult> | null = null;
  private pausedUntil = 0;

  constructor(
    private readonly deps: PlatformxDeps,
    private readonly options: { resendUnknown: boolean; pauseMs?: number },
  ) {}

  /**
   * Sends what is pending now; a call while one runs joins it. Never rejects. `signal` stops it
   * starting sends (those in flight land and are recorded); `abortSignal` abandons those in
   * flight too (they become `unknown`).
   */
  dispatch(stops: DispatchStops = {}): Promise<DispatchResult> {
    this.running ??= this.run(stops).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(stops: DispatchStops): Promise<DispatchResult> {
    const { signal } = stops;
    const result: DispatchResult = { sent: 0, rejected: 0, unknown: 0, deferred: 0 };
    const clock = this.deps.clock ?? systemClock;
    if (clock.now().getTime() < this.pausedUntil) return result;
    const tried = new Set<string>();
    for (let round = 0; round < 1000 && !signal?.aborted; round++) {
      let pending: PlatformxEvent[];
      try {
        pending = this.deps.store.pendingEvents(BATCH).filter((e) => !tried.has(e.id));
      } catch (error) {
        this.deps.log.warn("PlatformX events could not be read; they wait", {
          message: toErrorInfo(error).message,
        });
        return result;
      }
      if (pending.length === 0) return result;
      let stop = false;
      const queue = [...pending];
      const worker = async () => {
        for (let event = queue.shift(); event && !stop && !signal?.aborted; event = queue.shift()) {
          tried.add(event.id);
          const outcome = await this.sendOne(event, stops.abortSignal).catch((error: unknown) => {
            this.deps.log.warn("a PlatformX event could not be recorded", {
              id: event?.id,
              message: toErrorInfo(error).message,
            });
            return "stop" as const;
          });
          if (outcome === "stop") stop = true;
          else if (outcome === "deferred") {
            result.deferred += 1;
            stop = true; // DX said wait, or cannot be reached: the rest wait too
          } else if (outcome !== "skipped") result[outcome] += 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if (stop) return result;
    }
    return result;
  }

  private async sendOne(
    event: PlatformxEvent,
    signal: AbortSignal | undefined,
  ): Promise<"sent" | "rejected" | "unknown" | "deferred" | "skipped" | "stop"> {
    const { store, client, log, holder } = this.deps;
    const clock = this.deps.clock ?? systemClock;
    const now = () => clock.now().toISOString();
    const settle = (outcome: EventOutcome, error: ErrorInfo | null) => {
      store.settleEvent(event.id, outcome, error, now());
      this.deps.onOutcome?.(event, outcome);
    };
    if (event.email === null) return "skipped"; // recorded invalid; never pending
    if (event.claimedBy !== null) {
      // A send began and was never settled: the process behind it died, or still sends it.
      const stale =
        holderIsDead(event.claimedBy) ||
        clock.now().getTime() - Date.parse(event.claimedAt ?? "") > CLAIM_STALE_MS;
      if (!stale) return "skipped";
      if (!this.options.resendUnknown) {
        settle("unknown", {
          code: "interrupted",
          message: `send ${event.attempts} began and its answer was lost (the process stopped): DX may have it; not sent again (platformx.resendUnknown)`,
        });
        return "unknown";
      }
    }
    if (!store.claimEvent(event.id, event.attempts, now(), holder)) return "skipped";
    try {
      await client.track(
        {
          name: event.name,
          email: event.email,
          timestamp: event.timestamp,
          metadata: event.metadata,
        },
        { signal },
      );
      settle("sent", null);
      return "sent";
    } catch (error) {
      const info = toErrorInfo(error);
      const details = isCoderDxError(error) ? error.details : {};
      if (info.code === "dx_unauthorized") {
        settle("rejected", info);
        this.pausedUntil = clock.now().getTime() + (this.options.pauseMs ?? 10 * 60_000);
        log.error("PlatformX refused platformx.token: events wait; attribute runs go on", {
          message: info.message,
        });
        return "stop";
      }
      if (info.code === "dx_rejected") {
        settle("rejected", { code: "dx_rejected", message: info.message });
        return "rejected";
      }
      if (info.code === "dx_unavailable" && details.status === 429) {
        settle("pending", null);
        return "deferred";
      }
      if (info.code === "dx_unavailable" && typeof details.status === "number") {
        // DX answered, with an error (5xx after the client's retries): it did not take it.
        if (event.attempts + 1 >= MAX_SENDS) {
          settle("rejected", {
            code: "dx_unavailable",
            message: `${info.message}: gave up after ${MAX_SENDS} sends`,
          });
          return "rejected";
        }
        settle("pending", null);
        return "deferred";
      }
      if (info.code === "dx_unavailable" && !details.answerLost && details.status === undefined) {
        // Never reached DX (refused, unresolvable): it waits, and nothing was sent.
        settle("pending", null);
        return "deferred";
      }
      if (info.code === "dx_url_invalid" || info.code === "dx_tls") {
        settle("pending", null);
        log.error("PlatformX cannot be reached at DX_API_URL; events wait", {
          message: info.message,
        });
        return "stop";
      }
      // An answer lost on the way back (a timeout, a reset), a stop in flight: DX may have it.
      settle("unknown", {
        code: info.code === "interrupted" ? "interrupted" : "dx_unavailable",
        message: `${info.message}: DX may have it; not sent again (platformx.resendUnknown)`,
      });
      return "unknown";
    }
  }
}

/** A token that is plainly not a PlatformX project token, named for `doctor` (shape only: no event is made). */
export function platformxTokenProblem(token: string | null, orgToken: string): string | null {
  if (token === null) return null;
  if (/\s/.test(token))
    return "platformx.token contains whitespace (read from a file with a newline?)";
  if (token === orgToken)
    return "platformx.token is DX_API_TOKEN: events.track takes a PlatformX project token (the project's settings), not the organisation token";
  if (token.length < 16)
    return `platformx.token is ${token.length} characters: not a PlatformX project token`;
  return null;
}
