import type { AuditEvent, AuditInput } from '../domain/audit';
import type { RegistryEvent } from '../domain/events';
import type { WebhookDelivery, WebhookEndpoint, WebhookSecrets } from '../domain/webhooks';

export interface WebhookPage<T> {
  readonly items: readonly T[];
  readonly next_cursor?: string;
}

/** A delivery and the event it sends (as the endpoint sees it: the tenant view for a tenant's endpoint). */
export interface StoredDelivery {
  readonly delivery: WebhookDelivery;
  readonly event: RegistryEvent;
}

/** What an attempt changes on a delivery. */
export type AttemptRecord = Pick<
  WebhookDelivery,
  'status' | 'last_status_code' | 'last_error' | 'latency_ms' | 'response_body' | 'next_attempt_at'
>;

/**
 * Webhook endpoints, their signing secrets and their delivery log, in the one table (keys and
 * access patterns: docs/storage.md). Every change to an endpoint commits with its audit event;
 * the delivery log is bookkeeping (no audit event per attempt).
 */
export interface WebhookStore {
  getEndpoint(id: string): Promise<WebhookEndpoint | undefined>;
  /** The sender's read; nothing in the API reads this. */
  getSecrets(id: string): Promise<WebhookSecrets | undefined>;
  /** One page, newest first: one owner's endpoints (a tenant id or `global`), or every endpoint. */
  listEndpoints(
    owner: string | undefined,
    page: { limit: number; cursor?: string },
  ): Promise<WebhookPage<WebhookEndpoint>>;
  /** Every endpoint of one owner (the dispatcher's read; at most the per-owner limit). */
  endpointsOf(owner: string): Promise<WebhookEndpoint[]>;
  /** The endpoint, its secrets, the owner's count (refused past `max`: WebhookLimitError) and the event. */
  createEndpoint(
    endpoint: WebhookEndpoint,
    secrets: WebhookSecrets,
    max: number,
    audit: AuditInput,
  ): Promise<void>;
  /** Replaces the endpoint if it is still as read (`updated_at`), else ConcurrentUpdateError. */
  updateEndpoint(next: WebhookEndpoint, readAt: string, audit: AuditInput): Promise<void>;
  deleteEndpoint(endpoint: WebhookEndpoint, audit: AuditInput): Promise<void>;
  rotateSecrets(id: string, secrets: WebhookSecrets, audit: AuditInput): Promise<void>;
  /** Records a `webhook.test` event (the endpoint must still exist) and returns it, sealed. */
  recordTest(audit: AuditInput & { readonly target_id?: string }): Promise<AuditEvent>;
  /** Disables an enabled endpoint; false (nothing written) when it is gone or disabled already. */
  disableEndpoint(id: string, reason: string, at: string, audit: AuditInput): Promise<boolean>;
  /** Bookkeeping: the start of a failing streak (set only when unset), or its end (undefined). */
  setFailingSince(id: string, at: string | undefined): Promise<void>;
  /** A new delivery; false when the (endpoint, event) pair already has one (a redelivered event). */
  createDelivery(delivery: WebhookDelivery, event: RegistryEvent): Promise<boolean>;
  getDelivery(endpointId: string, deliveryId: string): Promise<StoredDelivery | undefined>;
  listDeliveries(
    endpointId: string,
    page: { limit: number; cursor?: string },
  ): Promise<WebhookPage<WebhookDelivery>>;
  /**
   * An attempt's result, if the delivery still has `attempts` attempts (a duplicate message that
   * raced another gets false and does nothing more).
   */
  recordAttempt(
    endpointId: string,
    deliveryId: string,
    attempts: number,
    record: AttemptRecord,
    at: string,
  ): Promise<boolean>;
  /** A manual retry: pending again, attempt due at `at`. False when it is pending already. */
  requeueDelivery(endpointId: string, deliveryId: string, at: string): Promise<boolean>;
}
