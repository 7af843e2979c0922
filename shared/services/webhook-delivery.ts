import { type RegistryEvent, tenantEventView } from '../domain/events';
import {
  attemptOutcome,
  deliveryRequest,
  failedTooLong,
  RESPONSE_BODY_BYTES,
  signingSecrets,
  subscribes,
  type WebhookEndpoint,
} from '../domain/webhooks';
import { logger } from '../observability/logger';
import type { Clock } from '../ports/clock';
import type { DeliveryMessage, DeliveryQueue } from '../ports/delivery-queue';
import type { EventSink } from '../ports/event-sink';
import type { WebhookStore } from '../ports/webhook-store';
import type { WebhookTransport } from '../ports/webhook-transport';
import type { Actor } from './actor';
import { pendingDelivery, webhookEvent } from './webhooks';

const GLOBAL_OWNER = 'global';

/** Who disables an endpoint on its own: the registry, recorded as origin `system`. */
const SENDER: Actor = { actor_id: 'webhook-sender', actor_type: 'system', origin: 'system' };

/**
 * The webhook half of the outbox (an `EventSink` of the stream consumer): for each event, the
 * endpoints that subscribe to it (`subscribes`: a tenant's endpoints get only that tenant's
 * events, in the tenant's view; global endpoints every event), one delivery record per (event,
 * endpoint) by a conditional put, so a redelivered event makes no second delivery, and one queue
 * message per new delivery. Delivery itself never happens here: it is the sender's, behind the queue.
 * An event whose fan-out failed is reported back, so the stream retries it (the put makes the retry safe).
 */
export class WebhookDispatcher implements EventSink {
  constructor(
    private readonly store: WebhookStore,
    private readonly queue: DeliveryQueue,
    private readonly clock: Clock,
  ) {}

  async publish(events: readonly RegistryEvent[]): Promise<{ readonly failedIds: readonly string[] }> {
    const owners = new Map<string, Promise<WebhookEndpoint[]>>();
    const endpointsOf = (owner: string) => {
      let found = owners.get(owner);
      if (!found) {
        found = this.store.endpointsOf(owner);
        owners.set(owner, found);
      }
      return found;
    };
    const failedIds: string[] = [];
    for (const event of events) {
      try {
        const candidates = [
          ...(await endpointsOf(GLOBAL_OWNER)),
          ...(event.tenant_id === undefined ? [] : await endpointsOf(event.tenant_id)),
        ];
        for (const endpoint of candidates.filter((e) => subscribes(e, event))) {
          const view = endpoint.tenant_id === undefined ? event : tenantEventView(event);
          const delivery = pendingDelivery(endpoint, view, this.clock.now());
          if (await this.store.createDelivery(delivery, view)) {
            await this.queue.enqueue({ endpoint_id: endpoint.id, delivery_id: delivery.id }, 0);
          }
        }
      } catch (error) {
        logger.error('webhook dispatch failed', {
          event: 'webhook.dispatch_failed',
          event_id: event.id,
          error: error instanceof Error ? error.message : String(error),
        });
        failedIds.push(event.id);
      }
    }
    return { failedIds };
  }
}

export interface SenderOptions {
  /** `TENANT_REGISTRY_WEBHOOK_RETRY_SCALE`: multiplies every wait of the retry schedule. @default 1 */
  readonly retryScale?: number;
}

/**
 * Sends one delivery per queue message: the signed POST, its result in the delivery log (the
 * sender's only table writes besides disabling an endpoint), then the next step: done, retried
 * after the schedule's next wait (re-enqueued), failed when the schedule is spent, or the
 * endpoint disabled (410, or every delivery failing for 5 days) with a `webhook.disabled` event.
 * One JSON log line per attempt, without secret, signature or body.
 */
export class WebhookSender {
  constructor(
    private readonly store: WebhookStore,
    private readonly queue: DeliveryQueue,
    private readonly transport: WebhookTransport,
    private readonly clock: Clock,
    private readonly options: SenderOptions = {},
  ) {}

  async handle(message: DeliveryMessage): Promise<void> {
    const now = this.clock.now();
    if (message.not_before !== undefined && Date.parse(message.not_before) > now.getTime()) {
      // Longer than the queue can hold a message: on again for the rest of the wait.
      await this.queue.enqueue(message, Date.parse(message.not_before) - now.getTime());
      return;
    }
    const [endpoint, stored] = await Promise.all([
      this.store.getEndpoint(message.endpoint_id),
      this.store.getDelivery(message.endpoint_id, message.delivery_id),
    ]);
    if (stored?.delivery.status !== 'pending') return; // done meanwhile: a duplicate message
    const { delivery, event } = stored;
    if (endpoint?.status !== 'enabled') {
      await this.store.recordAttempt(
        message.endpoint_id,
        delivery.id,
        delivery.attempts,
        { status: 'failed', last_error: endpoint ? 'endpoint_disabled' : 'endpoint_deleted' },
        now.toISOString(),
      );
      return;
    }
    const secrets = await this.store.getSecrets(endpoint.id);
    if (!secrets) return;
    const request = deliveryRequest(event, signingSecrets(secrets, now), now);
    const result = await this.transport.post(endpoint.url, request.headers, request.body);
    const attempt = delivery.attempts + 1;
    const outcome = attemptOutcome(result.status_code, attempt, this.options.retryScale ?? 1);
    const at = this.clock.now();
    const nextAt =
      outcome.kind === 'retry' ? new Date(at.getTime() + outcome.delayMs).toISOString() : undefined;
    const recorded = await this.store.recordAttempt(
      endpoint.id,
      delivery.id,
      delivery.attempts,
      {
        status: outcome.kind === 'succeeded' ? 'succeeded' : outcome.kind === 'retry' ? 'pending' : 'failed',
        ...(result.status_code === undefined ? {} : { last_status_code: result.status_code }),
        ...(result.error === undefined ? {} : { last_error: result.error }),
        latency_ms: result.latency_ms,
        ...(result.body === undefined ? {} : { response_body: result.body.slice(0, RESPONSE_BODY_BYTES) }),
        ...(nextAt === undefined ? {} : { next_attempt_at: nextAt }),
      },
      at.toISOString(),
    );
    logger.info('webhook delivery attempt', {
      event: 'webhook.attempt',
      endpoint_id: endpoint.id,
      delivery_id: delivery.id,
      event_id: event.id,
      type: event.type,
      attempt,
      outcome: outcome.kind,
      ...(result.status_code === undefined ? {} : { status_code: result.status_code }),
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.address === undefined ? {} : { address: result.address }),
      latency_ms: result.latency_ms,
      ...(nextAt === undefined ? {} : { next_attempt_at: nextAt }),
    });
    if (!recorded) return; // another copy of this message got there first
    if (outcome.kind === 'succeeded') {
      if (endpoint.failing_since !== undefined) await this.store.setFailingSince(endpoint.id, undefined);
      return;
    }
    if (outcome.kind === 'gone') {
      await this.disable(endpoint, 'gone', at, result.status_code);
      return;
    }
    if (failedTooLong(endpoint.failing_since, at)) {
      await this.disable(endpoint, 'failing', at, result.status_code);
      return;
    }
    if (endpoint.failing_since === undefined) await this.store.setFailingSince(endpoint.id, at.toISOString());
    if (outcome.kind === 'retry' && nextAt !== undefined) {
      await this.queue.enqueue(
        { endpoint_id: endpoint.id, delivery_id: delivery.id, not_before: nextAt },
        outcome.delayMs,
      );
    }
  }

  private async disable(
    endpoint: WebhookEndpoint,
    reason: string,
    at: Date,
    statusCode?: number,
  ): Promise<void> {
    const disabled = await this.store.disableEndpoint(
      endpoint.id,
      reason,
      at.toISOString(),
      webhookEvent(SENDER, 'webhook.disabled', endpoint, {
        disabled_reason: reason,
        ...(statusCode === undefined ? {} : { status_code: statusCode }),
      }),
    );
    if (disabled) {
      logger.warn('webhook endpoint disabled', {
        event: 'webhook.disabled',
        endpoint_id: endpoint.id,
        disabled_reason: reason,
      });
    }
  }
}
