import { createHash } from 'node:crypto';
import { canonicalJson } from './audit';

/**
 * A create's first response, stored in the same transaction as what it created, so a replay
 * can only ever see a committed result.
 */
export interface IdempotencyRecord {
  readonly scope: string;
  readonly key: string;
  /** SHA-256 of the canonical request body: the same key with another body is refused. */
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
  /** The first response's headers that describe its body (`etag`, `location`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly created_at: string;
  /** Epoch seconds after which the key may be used again (DynamoDB TTL). */
  readonly expires_at: number;
}

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export interface IdempotencyClaim {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
}

/** A create's response as the API sends it, and as a replay sends it again. */
export interface FirstResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function idempotencyRecord(
  claim: IdempotencyClaim,
  response: FirstResponse,
  now: Date,
): IdempotencyRecord {
  return {
    ...claim,
    status: response.status,
    body: response.body,
    ...(response.headers ? { headers: response.headers } : {}),
    created_at: now.toISOString(),
    expires_at: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
  };
}
