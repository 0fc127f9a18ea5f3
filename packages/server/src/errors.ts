import type { ErrorCode } from "@coder-dx/core";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Codes only the HTTP layer produces, beside core's. */
export type HttpErrorCode =
  | ErrorCode
  | "unauthorized"
  | "forbidden"
  | "invalid_request"
  | "payload_too_large";

/** The status for each error code, decided in one exhaustive switch. */
export function statusFor(code: HttpErrorCode): ContentfulStatusCode {
  switch (code) {
    case "invalid_request":
    case "usage_invalid":
    case "identity_invalid":
    case "config_invalid":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "run_in_progress":
    case "lease_lost":
    case "plan_stale":
      return 409;
    case "payload_too_large":
      return 413;
    case "halted":
      return 422;
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
      return 502;
    case "interrupted":
      return 503;
    case "store_failed":
    case "store_unusable":
      return 503;
    case "abandoned":
    case "notify_failed":
    case "internal":
      return 500;
  }
}

export interface ErrorEnvelope {
  error: { code: HttpErrorCode; message: string; requestId: string };
}

export function envelope(code: HttpErrorCode, message: string, requestId: string): ErrorEnvelope {
  return { error: { code, message, requestId } };
}
