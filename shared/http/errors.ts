import { isDependencyUnavailable } from '../adapters/aws-errors';
import { ChainBusyError, DomainError } from '../domain/errors';
import { type HttpResponse, json } from './responses';

/** Errors that belong to HTTP itself (credentials, media types, sizes). */
export class HttpError extends DomainError {}

/**
 * One table from error code to status: every `error` a response can carry (openapi.yaml lists
 * each operation's codes per status; a contract test holds the two together).
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_input: 400,
  reserved_action: 400,
  reserved_actor_type: 400,
  unauthorized: 401,
  tenant_required: 400,
  tenant_conflict: 400,
  forbidden: 403,
  tenant_not_allowed: 403,
  scope_missing: 403,
  scope_not_held: 403,
  tenant_frozen: 403,
  not_found: 404,
  slug_taken: 409,
  slug_quarantined: 409,
  alias_limit: 409,
  primary_alias: 409,
  invalid_transition: 409,
  conflict: 409,
  idempotency_in_progress: 409,
  tenant_inactive: 409,
  trial_unavailable: 409,
  plan_not_eligible: 409,
  trial_used: 409,
  already_entitled: 409,
  api_key_unusable: 409,
  webhook_limit: 409,
  webhook_disabled: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  /** Anything unexpected; the details go to the log only. */
  internal: 500,
  /** A dependency (DynamoDB, SSM, Secrets Manager) is throttling, failing or out of reach: retry later. */
  service_unavailable: 503,
};

/**
 * The response for any error. Below 500 the message is the caller's to read; at 500 and
 * above the caller gets a generic message and the details go to the log only.
 */
export function errorResponse(
  error: unknown,
  requestId: string,
): { response: HttpResponse; exposed: boolean } {
  if (error instanceof DomainError) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    if (status < 500) {
      const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      return {
        response: json(
          status,
          { ...error.fields, error: error.code, message: error.message, request_id: requestId },
          headers,
        ),
        exposed: true,
      };
    }
  }
  if (error instanceof ChainBusyError) {
    // Expected under load, not a fault: its message is the caller's, with when to retry.
    return {
      response: json(
        503,
        { error: error.code, message: error.message, request_id: requestId },
        { 'retry-after': String(error.retryAfterSeconds) },
      ),
      exposed: true,
    };
  }
  const unavailable =
    (error instanceof DomainError && error.code === 'service_unavailable') || isDependencyUnavailable(error);
  return {
    response: json(unavailable ? 503 : 500, {
      error: unavailable ? 'service_unavailable' : 'internal',
      message: unavailable ? 'a dependency is unavailable; retry later' : 'internal error',
      request_id: requestId,
    }),
    exposed: false,
  };
}

/** Answered exactly like a route that does not exist (the API is off, or a name no tenant can have). */
export class UnknownRouteError extends DomainError {
  constructor(message = 'no such route') {
    super('not_found', message);
  }
}
