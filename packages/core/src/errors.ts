/**
 * The closed set of failure codes. Each transport maps them in one exhaustive
 * switch (CLI → exit code, server → HTTP status); add a code here and the
 * compiler shows every place that must decide what it means.
 */
export type ErrorCode =
  | "config_invalid"
  | "usage_invalid"
  | "identity_invalid"
  | "coder_unavailable"
  | "coder_unauthorized"
  | "coder_forbidden"
  | "coder_bad_response"
  | "coder_rejected"
  | "coder_url_invalid"
  | "coder_tls"
  | "dx_unavailable"
  | "dx_unauthorized"
  | "dx_bad_response"
  | "dx_rejected"
  | "dx_unknown_user"
  | "dx_url_invalid"
  | "dx_tls"
  | "listing_incomplete"
  | "run_in_progress"
  | "lease_lost"
  | "abandoned"
  | "store_failed"
  | "store_unusable"
  | "halted"
  | "plan_stale"
  | "interrupted"
  | "not_found"
  | "notify_failed"
  | "internal";

export class CoderDxError extends Error {
  override readonly name = "CoderDxError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      endpoint?: string;
      status?: number;
      retryable?: boolean;
      /** The request may have reached the server, and its answer was lost (a timeout, a reset). */
      answerLost?: boolean;
      /** The service's own error code (DX's `error`), when it sent one. */
      upstreamCode?: string;
    } = {},
  ) {
    super(message);
  }
}

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof CoderDxError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal", message };
}

export function isCoderDxError(error: unknown, code?: ErrorCode): error is CoderDxError {
  return error instanceof CoderDxError && (code === undefined || error.code === code);
}
