/**
 * One error shape for every response: `{error: {code, message, details?, request_id}}`. Routes
 * throw ApiError for expected refusals; the app's error hook maps everything else.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'precondition_required'
  | 'rate_limited'
  | 'service_unavailable'
  | 'shutting_down'
  | 'internal_error';

/** The status each code answers with: the one table of error-to-status. */
export const STATUS_OF: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  precondition_required: 428,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
  shutting_down: 503,
};

export interface ErrorDetail {
  field: string;
  code?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  get status(): number {
    return STATUS_OF[this.code];
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[]; request_id: string };
}

export const errorBody = (code: ErrorCode, message: string, requestId: string, details?: ErrorDetail[]): ErrorBody => ({
  error: { code, message, ...(details && details.length > 0 ? { details } : {}), request_id: requestId },
});
