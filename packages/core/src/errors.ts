/**
 * The closed set of failure codes. Each transport maps them in one exhaustive
 * switch (CLI → exit code, server → HTTP status); add a code here and the
 * compiler shows every place that must decide what it means.
 */
export type ErrorCode =
  | "config_invalid"
  | "usage_invalid"
  | "coder_unavailable"
  | "coder_unauthorized"
  | "coder_forbidden"
  | "coder_bad_response"
  | "coder_rejected"
  | "dx_unavailable"
  | "dx_unauthorized"
  | "dx_bad_response"
  | "dx_rejected"
  | "dx_unknown_user"
  | "listing_incomplete"
  | "run_in_progress"
  | "halted"
  | "plan_stale"
  | "interrupted"
  | "not_found"
  | "internal";

export class CoderDxError extends Error {
  override readonly name = "CoderDxError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { endpoint?: string; status?: number; retryable?: boolean } = {},
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
