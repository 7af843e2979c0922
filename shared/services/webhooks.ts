import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../domain/audit';
import type { RegistryAction } from '../domain/audit-events';
import { TenantNotFoundError, ValidationError } from '../domain/errors';
import { type RegistryEvent, tenantEventView } from '../domain/events';
import {
  assertEventTypes,
  assertUrl,
  DeliveryNotFoundError,
  newSigningSecret,
  SECRET_OVERLAP_MS,
  WEBHOOK_LIMITS,
  type WebhookDelivery,
  WebhookDisabledError,
  type WebhookEndpoint,
  WebhookNotFoundError,
  type WebhookStatus,
} from '../domain/webhooks';
import type { Clock } from '../ports/clock';
import type { DeliveryQueue } from '../ports/delivery-queue';
import type { TenantStore } from '../ports/tenant-store';
import type { WebhookPage, WebhookStore } from '../ports/webhook-store';
import { type Actor, registryEvent } from './actor';

export interface NewWebhook {
  readonly url: string;
  readonly events: readonly string[];
  readonly tenant_id?: string;
  readonly description?: string;
}

export interface WebhookChange {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly description?: string | null;
  readonly status?: WebhookStatus;
}

export interface WebhookOptions {
  /** `TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL`: http and loopback receivers (local mode). */
  readonly allowLocal: boolean;
  /** Endpoints per owner. @default WEBHOOK_LIMITS.endpointsPerOwner */
  readonly maxEndpoints?: number;
}

/** Where the caller stands: an operator sees every endpoint; a tenant only its own (others are 404). */
export type WebhookScope = { readonly tenant_id?: string };

/**
 * The endpoint if the caller may see it. On the tenant plane (`scope.tenant_id`) another
 * tenant's endpoint answers exactly like one that does not exist.
 */
async function visibleEndpoint(
  store: Pick<WebhookStore, 'getEndpoint'>,
  id: string,
  scope: WebhookScope,
): Promise<WebhookEndpoint> {
  const webhook = await store.getEndpoint(id);
  if (!webhook || (scope.tenant_id !== undefined && webhook.tenant_id !== scope.tenant_id)) {
    throw new WebhookNotFoundError();
  }
  return webhook;
}

/**
 * Webhook endpoints: create (the signing secret is in that answer only), read, change, delete,
 * rotate the secret, read deliveries. Every change commits with its `webhook.*` audit event, on
 * the endpoint's tenant's chain (or the global one). On the tenant plane (`scope.tenant_id`)
 * another tenant's endpoint answers exactly like one that does not exist. What goes onto the
 * delivery queue (a test, a retry) is `WebhookSends`'s, so only those functions bundle the queue.
 */
export class WebhookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly tenants: Pick<TenantStore, 'getTenant'>,
    private readonly clock: Clock,
    private readonly options: WebhookOptions,
  ) {}

  async create(input: NewWebhook, actor: Actor): Promise<{ webhook: WebhookEndpoint; secret: string }> {
    assertUrl(input.url, this.options.allowLocal);
    assertEventTypes(input.events);
    if (input.tenant_id !== undefined && !(await this.tenants.getTenant(input.tenant_id))) {
      throw new TenantNotFoundError();
    }
    const now = this.clock.now().toISOString();
    const webhook: WebhookEndpoint = {
      id: randomUUID(),
      url: input.url,
      events: [...input.events],
      ...(input.tenant_id === undefined ? {} : { tenant_id: input.tenant_id }),
      ...(input.description === undefined ? {} : { description: input.description }),
      status: 'enabled',
      created_at: now,
      updated_at: now,
    };
    const secret = newSigningSecret();
    await this.store.createEndpoint(
      webhook,
      { current: secret },
      this.options.maxEndpoints ?? WEBHOOK_LIMITS.endpointsPerOwner,
      webhookEvent(actor, 'webhook.created', webhook, {
        url: webhook.url,
        events: webhook.events,
        status: webhook.status,
        ...(webhook.description === undefined ? {} : { description: webhook.description }),
      }),
    );
    return { webhook, secret };
  }

  /** Operators: every endpoint, or one tenant's (`tenant_id`); a tenant: its own. */
  list(scope: WebhookScope, page: { limit: number; cursor?: string }): Promise<WebhookPage<WebhookEndpoint>> {
    return this.store.listEndpoints(scope.tenant_id, page);
  }

  get(id: string, scope: WebhookScope): Promise<WebhookEndpoint> {
    return visibleEndpoint(this.store, id, scope);
  }

  async update(
    id: string,
    change: WebhookChange,
    actor: Actor,
    scope: WebhookScope,
  ): Promise<WebhookEndpoint> {
    const current = await this.get(id, scope);
    if (change.url !== undefined) assertUrl(change.url, this.options.allowLocal);
    if (change.events !== undefined) assertEventTypes(change.events);
    const fields = (['url', 'events', 'description', 'status'] as const).filter(
      (f) => change[f] !== undefined,
    );
    if (fields.length === 0)
      throw new ValidationError('the body must change at least one of url, events, description, status');
    const { description: _d, disabled_reason: _r, failing_since: _f, ...rest } = current;
    const description = change.description === undefined ? current.description : change.description;
    const status = change.status ?? current.status;
    const next: WebhookEndpoint = {
      ...rest,
      ...(change.url === undefined ? {} : { url: change.url }),
      ...(change.events === undefined ? {} : { events: [...change.events] }),
      ...(description === null || description === undefined ? {} : { description }),
      status,
      // Re-enabling starts a fresh streak; a disabled endpoint keeps why it was disabled.
      ...(status === 'disabled' && current.status === 'disabled' && current.disabled_reason
        ? { disabled_reason: current.disabled_reason }
        : {}),
      ...(status === 'enabled' || current.failing_since === undefined
        ? {}
        : { failing_since: current.failing_since }),
      updated_at: this.clock.now().toISOString(),
    };
    await this.store.updateEndpoint(
      next,
      current.updated_at,
      webhookEvent(actor, 'webhook.updated', next, { fields, status: next.status }),
    );
    return next;
  }

  async delete(id: string, actor: Actor, scope: WebhookScope): Promise<void> {
    const current = await this.get(id, scope);
    await this.store.deleteEndpoint(
      current,
      webhookEvent(actor, 'webhook.deleted', current, { url: current.url }),
    );
  }

  /**
   * A new secret; the previous one keeps signing beside it for 24 hours (two signatures in each
   * delivery's header), so receivers can switch without losing a delivery.
   */
  async rotateSecret(
    id: string,
    actor: Actor,
    scope: WebhookScope,
  ): Promise<{ secret: string; previous_expires_at: string }> {
    const current = await this.get(id, scope);
    const secrets = await this.store.getSecrets(id);
    if (!secrets) throw new WebhookNotFoundError();
    const secret = newSigningSecret();
    const previous_expires_at = new Date(this.clock.now().getTime() + SECRET_OVERLAP_MS).toISOString();
    await this.store.rotateSecrets(
      id,
      { current: secret, previous: secrets.current, previous_expires_at },
      webhookEvent(actor, 'webhook.secret_rotated', current, { previous_expires_at }),
    );
    return { secret, previous_expires_at };
  }

  async deliveries(
    id: string,
    scope: WebhookScope,
    page: { limit: number; cursor?: string },
  ): Promise<WebhookPage<WebhookDelivery>> {
    await this.get(id, scope);
    return this.store.listDeliveries(id, page);
  }
}

/**
 * What puts a delivery on the queue from the API: a test event to one endpoint, and a delivery
 * sent again. Apart from `WebhookService`, so that only these functions bundle the queue's client.
 */
export class WebhookSends {
  constructor(
    private readonly store: WebhookStore,
    private readonly queue: DeliveryQueue,
    private readonly clock: Clock,
  ) {}

  /**
   * A `webhook.test` event, recorded like every change, delivered to this endpoint only (never by
   * subscription). Its `sequence` is 0: a test is no step of the tenant's sequence a consumer tracks.
   */
  async test(id: string, actor: Actor, scope: WebhookScope): Promise<WebhookDelivery> {
    const webhook = await visibleEndpoint(this.store, id, scope);
    if (webhook.status !== 'enabled') throw new WebhookDisabledError();
    const recorded: AuditEvent = await this.store.recordTest(
      webhookEvent(actor, 'webhook.test', webhook, {}),
    );
    const event: RegistryEvent = {
      id: String(recorded.id),
      type: 'webhook.test',
      created_at: recorded.created_at,
      ...(webhook.tenant_id === undefined ? {} : { tenant_id: webhook.tenant_id }),
      sequence: 0,
      data: { endpoint_id: webhook.id, url: webhook.url, message: 'A test event from the Tenant Registry.' },
    };
    const delivery = pendingDelivery(webhook, event, this.clock.now());
    await this.store.createDelivery(
      delivery,
      webhook.tenant_id === undefined ? event : tenantEventView(event),
    );
    await this.queue.enqueue({ endpoint_id: webhook.id, delivery_id: delivery.id }, 0);
    return delivery;
  }

  /**
   * Sends a delivery again now (any status but pending; a pending one is already on its way): one
   * attempt, then the schedule continues from the attempts it has had.
   */
  async retry(id: string, deliveryId: string, scope: WebhookScope): Promise<WebhookDelivery> {
    const webhook = await visibleEndpoint(this.store, id, scope);
    if (webhook.status !== 'enabled') throw new WebhookDisabledError();
    const stored = await this.store.getDelivery(id, deliveryId);
    if (!stored) throw new DeliveryNotFoundError();
    const at = this.clock.now().toISOString();
    if (await this.store.requeueDelivery(id, deliveryId, at)) {
      await this.queue.enqueue({ endpoint_id: id, delivery_id: deliveryId }, 0);
    }
    return { ...stored.delivery, status: 'pending', next_attempt_at: at, updated_at: at };
  }
}

/** A delivery before its first attempt. */
export function pendingDelivery(webhook: WebhookEndpoint, event: RegistryEvent, now: Date): WebhookDelivery {
  const at = now.toISOString();
  return {
    id: event.id,
    endpoint_id: webhook.id,
    event_id: event.id,
    type: event.type,
    status: 'pending',
    attempts: 0,
    next_attempt_at: at,
    created_at: at,
    updated_at: at,
  };
}

/** The audit event of a change to an endpoint: on its tenant's chain, or the global one. */
export function webhookEvent(
  actor: Actor,
  action: RegistryAction,
  webhook: WebhookEndpoint,
  metadata: Record<string, unknown>,
) {
  return registryEvent(actor, action, {
    ...(webhook.tenant_id === undefined ? {} : { tenant_id: webhook.tenant_id }),
    target_id: webhook.id,
    target_type: 'webhook',
    metadata,
  });
}
