import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { CoderDxError, type ErrorInfo, toErrorInfo } from "../errors";
import type { Clock, SyncStore } from "../ports";

export const LEASE_TTL_MS = 30_000;

/**
 * A lease holder names one process: `host:pid:start:nonce`, where `start` is the process's
 * start time (clock ticks since boot on Linux, from /proc), so a pid reused by another process
 * after a crash is told apart from the holder that died.
 */
export interface LeaseHolder {
  host: string;
  pid: number;
  start: string;
  nonce: string;
}

export function formatHolder(holder: LeaseHolder): string {
  return `${holder.host}:${holder.pid}:${holder.start}:${holder.nonce}`;
}

/** Holders written by older versions are `host:pid:nonce` (no start time). */
export function parseHolder(text: string): LeaseHolder | null {
  const parts = text.split(":");
  const [host, pid, start, nonce] = parts.length === 3 ? [parts[0], parts[1], "", parts[2]] : parts;
  const number = Number(pid);
  if (!host || !Number.isSafeInteger(number) || number <= 0) return null;
  return { host, pid: number, start: start ?? "", nonce: nonce ?? "" };
}

/** `/proc/<pid>/stat`: the state letter and the start time, or null when the process is gone. */
function procStat(pid: number): { state: string; start: string } | null | "unknown" {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") {
      // No /proc at all (not Linux): nothing to say from here.
      try {
        readFileSync("/proc/self/stat");
        return null;
      } catch {
        return "unknown";
      }
    }
    return "unknown";
  }
  // The command name is in parentheses and may hold spaces: fields count from after it.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", start: fields[19] ?? "" };
}

export function currentHolder(nonce = Math.random().toString(36).slice(2, 8)): string {
  const stat = procStat(process.pid);
  const start = stat && stat !== "unknown" ? stat.start : "";
  return formatHolder({ host: hostname(), pid: process.pid, start, nonce });
}

/**
 * Whether a holder on this host has died: its pid is gone, a zombie, or now another process
 * (a different start time). Holders on other hosts are alive until their lease expires.
 */
export function holderIsDead(text: string): boolean {
  const holder = parseHolder(text);
  if (!holder || holder.host !== hostname()) return false;
  const stat = procStat(holder.pid);
  if (stat === null) return true;
  if (stat !== "unknown") {
    if (stat.state === "Z" || stat.state === "X") return true;
    return holder.start !== "" && stat.start !== holder.start;
  }
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Keeps a run's lease: renews it in the background, and before every write (`check`) renews it
 * when a third of its life has passed, so a process that was paused past the TTL finds out it
 * lost the lease before it writes beside the new holder. It also asks the store whether its
 * file is still the one it opened. Once lost, always lost.
 */
export class LeaseKeeper {
  private renewedAt: number;
  private lost: ErrorInfo | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: SyncStore,
    readonly holder: string,
    private readonly clock: Clock,
    private readonly onLost: (error: ErrorInfo) => void,
    private readonly ttlMs = LEASE_TTL_MS,
  ) {
    this.renewedAt = clock.now().getTime();
    this.timer = setInterval(() => this.check(true), ttlMs / 3);
    this.timer.unref();
  }

  /** Null while the lease is held; the reason once it is not. */
  check(renew = false): ErrorInfo | null {
    if (this.lost) return this.lost;
    const now = this.clock.now().getTime();
    try {
      this.store.assertIntact();
      if (renew || now - this.renewedAt >= this.ttlMs / 3) {
        if (!this.store.renewLease(this.holder, now, this.ttlMs)) {
          throw new CoderDxError(
            "lease_lost",
            `another coder-dx process took this database's lease (this one was unresponsive for ${Math.round((now - this.renewedAt) / 1000)} s); stopped before writing beside it`,
          );
        }
        this.renewedAt = now;
      }
    } catch (error) {
      const info = toErrorInfo(error);
      this.lost =
        info.code === "lease_lost" || info.code === "store_failed"
          ? info
          : { code: "lease_lost", message: `could not keep the lease: ${info.message}` };
      clearInterval(this.timer);
      this.onLost(this.lost);
    }
    return this.lost;
  }

  release(): void {
    clearInterval(this.timer);
    if (this.lost) return;
    try {
      this.store.releaseLease(this.holder);
    } catch {
      // The lease expires by itself; a store that cannot write has been reported already.
    }
  }
}
