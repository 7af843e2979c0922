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

export function idempotencyRecord(
  claim: IdempotencyClaim,
  status: number,
  body: unknown,
  now: Date,
): IdempotencyRecord {
  return {
    ...claim,
    status,
    body,
    created_at: now.toISOString(),
    expires_at: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
  };
}
