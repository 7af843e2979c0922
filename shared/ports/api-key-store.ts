import type { ApiKeyRecord } from '../domain/api-key';
import type { AuditInput } from '../domain/audit';

export interface ApiKeyPage {
  readonly items: readonly ApiKeyRecord[];
  readonly next_cursor?: string;
}

/** API key records, in the one table (keys and access patterns: docs/storage.md). */
export interface ApiKeyStore {
  /** One strongly consistent GetItem. */
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** A tenant's keys, newest first; a cursor this store did not issue is a ValidationError. */
  listKeys(tenantId: string, query: { limit: number; cursor?: string }): Promise<ApiKeyPage>;
  /** The new record and its audit event, in one transaction. */
  createKey(key: ApiKeyRecord, audit: AuditInput): Promise<void>;
  /**
   * Sets `revoked_at` together with its audit event; false (and nothing written) when the key
   * was revoked meanwhile.
   */
  revokeKey(key: ApiKeyRecord, revokedAt: string, audit: AuditInput): Promise<boolean>;
  /**
   * A roll, in one transaction: the new record, the old key's new expiry and the one audit
   * event. The old key must still be unrevoked with the expiry it was read with (`was`), else
   * nothing is written and an ApiKeyChangedError says so.
   */
  rollKey(
    next: ApiKeyRecord,
    previous: { readonly id: string; readonly was: string | null; readonly expires_at: string },
    audit: AuditInput,
  ): Promise<void>;
  /** Bookkeeping, not a state change: sets `last_used_at` unless it is already after `notAfter`. */
  touchKey(id: string, usedAt: string, notAfter: string): Promise<void>;
  /** Replaces the hash made with old parameters, if it is still `previous`. */
  rehashKey(id: string, previous: string, next: string): Promise<void>;
}

/** What verification needs: the record and the bookkeeping writes, no audited change. */
export type ApiKeyVerificationStore = Pick<ApiKeyStore, 'getKey' | 'touchKey' | 'rehashKey'>;
