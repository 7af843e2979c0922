import { IdempotencyMismatchError } from '../domain/errors';
import type { FirstResponse, IdempotencyClaim } from '../domain/idempotency';
import type { TenantStore } from '../ports/tenant-store';

/**
 * The stored first response for a replayed Idempotency-Key, if the key was used; the same key
 * with another body is refused. The record itself is written by the create's own transaction.
 */
export async function firstResponse(
  store: Pick<TenantStore, 'getIdempotencyRecord'>,
  claim: IdempotencyClaim,
): Promise<FirstResponse | undefined> {
  const record = await store.getIdempotencyRecord(claim.scope, claim.key);
  if (!record) return undefined;
  if (record.fingerprint !== claim.fingerprint) throw new IdempotencyMismatchError();
  return { status: record.status, body: record.body, ...(record.headers ? { headers: record.headers } : {}) };
}
