import type { ErrorCode, Run } from "@coder-dx/core";

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  halted: 4,
  /** 128 + the signal's number, as shells report a process a signal stopped. */
  sigint: 130,
  sigterm: 143,
} as const;

/** The contract's exit codes for a thrown error, decided in one exhaustive switch. */
export function exitCodeForError(code: ErrorCode): number {
  switch (code) {
    case "config_invalid":
    case "usage_invalid":
    case "identity_invalid":
    case "store_unusable":
      return EXIT.usage;
    case "halted":
      return EXIT.halted;
    case "coder_unavailable":
    case "coder_unauthorized":
    case "coder_forbidden":
    case "coder_bad_response":
    case "coder_rejected":
    case "coder_url_invalid":
    case "coder_tls":
    case "dx_unavailable":
    case "dx_unauthorized":
    case "dx_bad_response":
    case "dx_rejected":
    case "dx_unknown_user":
    case "dx_url_invalid":
    case "dx_tls":
    case "listing_incomplete":
    case "run_in_progress":
    case "lease_lost":
    case "abandoned":
    case "store_failed":
    case "plan_stale":
    case "interrupted":
    case "not_found":
    case "notify_failed":
    case "internal":
      return EXIT.failed;
  }
}

export function exitCodeForRun(run: Pick<Run, "status" | "dryRun" | "error">): number {
  switch (run.status) {
    case "succeeded":
      return EXIT.ok;
    case "partial":
      return run.dryRun ? EXIT.ok : EXIT.partial;
    case "halted":
      return EXIT.halted;
    case "interrupted":
      // A run that lost its lease (paused, then another process took over) failed to finish
      // its job, for a reason no signal gave: 143 is SIGTERM's.
      return run.error?.code === "lease_lost" ? EXIT.failed : EXIT.sigterm;
    case "failed":
      // Why it failed decides, as for an error thrown: a scope that matched nobody is a usage error.
      return run.error ? exitCodeForError(run.error.code) : EXIT.failed;
    case "running":
      return EXIT.failed;
  }
}
