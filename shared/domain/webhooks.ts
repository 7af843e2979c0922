import { createHmac, randomBytes } from 'node:crypto';
import { REGISTRY_ACTIONS, registryNamespaceOf } from './audit-events';
import { DomainError, NotFoundError, ValidationError } from './errors';
import type { RegistryEvent } from './events';

/**
 * Webhook endpoints and their deliveries (docs/webhooks.md): which events an endpoint gets, how
 * a delivery is signed (Standard Webhooks), when it is retried and when an endpoint is disabled.
 * Pure: no AWS, no network (the address rules are in webhook-addresses.ts).
 */

export const WEBHOOK_STATUSES = ['enabled', 'disabled'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** An endpoint as the API shows it: never a secret. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  /** Event types, or `["*"]` for every registry type. */
  readonly events: readonly string[];
  /** Set: the tenant's endpoint, which gets that tenant's events only, in the tenant's view. */
  readonly tenant_id?: string;
  readonly description?: string;
  readonly status: WebhookStatus;
  /** Why it is disabled, when the registry disabled it (`gone`: the receiver answered 410; `failing`). */
  readonly disabled_reason?: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** The first failed attempt since the last success; cleared by a success. */
  readonly failing_since?: string;
}

/**
 * The signing secrets of an endpoint: the current one, and after a rotation the previous one
 * until `previous_expires_at`. Stored apart from the endpoint (keys.ts), read only by the sender.
 */
export interface WebhookSecrets {
  readonly current: string;
  readonly previous?: string;
  readonly previous_expires_at?: string;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event to one endpoint; its id is the event's id (one delivery per event and endpoint). */
export interface WebhookDelivery {
  readonly id: string;
  readonly endpoint_id: string;
  readonly event_id: string;
  readonly type: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly last_status_code?: number;
  /** Why the last attempt failed without a status code (timeout, refused address, ...). */
  readonly last_error?: string;
  readonly latency_ms?: number;
  /** The first 1 KiB of the last response body. */
  readonly response_body?: string;
  readonly next_attempt_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Limits of an endpoint's fields and of endpoints per owner (a tenant, or the operators' global set). */
export const WEBHOOK_LIMITS = {
  descriptionLength: 500,
  eventTypes: 50,
  urlLength: 2048,
  endpointsPerOwner: 20,
} as const;

/** How long the previous secret keeps signing beside the new one after a rotation. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;
/** An endpoint that has failed every delivery for this long is disabled. */
export const FAILING_DISABLE_MS = 5 * 86_400_000;
/** The receiver's answer is cut to this many bytes in the delivery log. */
export const RESPONSE_BODY_BYTES = 1024;
/** One attempt's limit, connection and response together. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * The wait before each attempt (the first is immediate): 8 attempts over 27 h 35 min 5 s, so a
 * receiver down for a day still gets the event. `TENANT_REGISTRY_WEBHOOK_RETRY_SCALE` multiplies
 * the waits (tests run the whole schedule in milliseconds).
 */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [
  0,
  5,
  5 * 60,
  30 * 60,
  2 * 3600,
  5 * 3600,
  10 * 3600,
  10 * 3600,
];

/** The wait before attempt `attempt + 1` after `attempt` attempts, or undefined: no attempt is left. */
export function retryDelayMs(attempts: number, scale = 1): number | undefined {
  const seconds = RETRY_SCHEDULE_SECONDS[attempts];
  return seconds === undefined ? undefined : Math.round(seconds * 1000 * scale);
}

/** Every registry event type an endpoint may name (the registry's own actions). */
export function registryEventTypes(): readonly string[] {
  return REGISTRY_ACTIONS;
}

export const ALL_EVENTS = '*';
const PRODUCT_TYPE = /^[a-z0-9][a-z0-9._:-]{0,127}$/;

/**
 * Why an endpoint's `events` cannot be stored, or undefined: `["*"]` alone, or a list of known
 * registry types and products' own action names (lower-case, 1-128 of a-z 0-9 . _ : -, outside
 * the registry's namespaces), without repeats.
 */
export function eventTypesProblem(events: readonly string[]): string | undefined {
  if (events.length === 0) return 'events must name at least one event type, or be ["*"]';
  if (events.length > WEBHOOK_LIMITS.eventTypes) {
    return `events may name at most ${WEBHOOK_LIMITS.eventTypes} types`;
  }
  if (new Set(events).size !== events.length) return 'events must not repeat a type';
  if (events.includes(ALL_EVENTS)) {
    return events.length === 1
      ? undefined
      : 'events: "*" stands alone (it already means every registry type)';
  }
  const registry = new Set<string>(REGISTRY_ACTIONS);
  for (const type of events) {
    if (registry.has(type)) continue;
    if (registryNamespaceOf(type) !== undefined) return `events: '${type}' is not a registry event type`;
    if (!PRODUCT_TYPE.test(type)) {
      return `events: '${type}' is neither a registry event type nor a product action name (1-128 of a-z, 0-9, ".", "_", ":", "-")`;
    }
  }
  return undefined;
}

/**
 * Why `url` cannot be an endpoint, or undefined. `https` only, unless `allowLocal`
 * (`TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL`), which also admits `http` to a loopback host. No
 * credentials in the URL, no fragment. The address a host resolves to is checked again at each
 * delivery (webhook-addresses.ts): a name that resolves to a private address today is refused then.
 */
export function urlProblem(raw: string, allowLocal: boolean): string | undefined {
  if (raw.length > WEBHOOK_LIMITS.urlLength)
    return `url must be at most ${WEBHOOK_LIMITS.urlLength} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute URL';
  }
  if (url.username || url.password) return 'url must not carry credentials';
  if (url.hash) return 'url must not carry a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && allowLocal && isLoopbackHost(url.hostname)) return undefined;
  return allowLocal
    ? 'url must use https (http only to 127.0.0.1, [::1] or localhost while local delivery is allowed)'
    : 'url must use https';
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Whether `event` goes to `endpoint`: an enabled endpoint, whose tenant (if it has one) is the
 * event's tenant (a tenant's endpoint never gets a global event or another tenant's), and whose
 * `events` name the type (`*` covers the registry's types, never a product's own). `webhook.test`
 * goes only where the test asked for it, never by subscription.
 */
export function subscribes(endpoint: WebhookEndpoint, event: RegistryEvent): boolean {
  if (endpoint.status !== 'enabled') return false;
  if (event.type === 'webhook.test') return false;
  if (endpoint.tenant_id !== undefined && endpoint.tenant_id !== event.tenant_id) return false;
  if (endpoint.events.includes(event.type)) return true;
  return endpoint.events.includes(ALL_EVENTS) && registryNamespaceOf(event.type) !== undefined;
}

/** A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks has it. */
export function newSigningSecret(random: (n: number) => Buffer = randomBytes): string {
  return `whsec_${random(32).toString('base64')}`;
}

/** The secrets that sign at `now`: the current one, and the previous one within its overlap. */
export function signingSecrets(secrets: WebhookSecrets, now: Date): string[] {
  const previous =
    secrets.previous !== undefined &&
    secrets.previous_expires_at !== undefined &&
    Date.parse(secrets.previous_expires_at) > now.getTime()
      ? [secrets.previous]
      : [];
  return [secrets.current, ...previous];
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret,
 * space-separated (Standard Webhooks; a verifier accepts the message if any one matches).
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}

/** The request a delivery sends, without the network. */
export function deliveryRequest(
  event: RegistryEvent,
  secrets: readonly string[],
  now: Date,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'tenant-registry-webhooks/1',
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, event.id, timestamp, body),
    },
  };
}

export type AttemptOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'gone' }
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'failed' };

/**
 * What an attempt's answer means: 2xx succeeded; 410 Gone disables the endpoint; anything else
 * (another status, a timeout, a refused address) is retried on the schedule, then failed.
 */
export function attemptOutcome(statusCode: number | undefined, attempts: number, scale = 1): AttemptOutcome {
  if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return { kind: 'succeeded' };
  if (statusCode === 410) return { kind: 'gone' };
  const delayMs = retryDelayMs(attempts, scale);
  return delayMs === undefined ? { kind: 'failed' } : { kind: 'retry', delayMs };
}

/** Whether an endpoint failing since `failingSince` has failed long enough to be disabled. */
export function failedTooLong(failingSince: string | undefined, now: Date): boolean {
  return failingSince !== undefined && now.getTime() - Date.parse(failingSince) >= FAILING_DISABLE_MS;
}

export class WebhookNotFoundError extends NotFoundError {
  constructor() {
    super('webhook endpoint not found');
  }
}

export class DeliveryNotFoundError extends NotFoundError {
  constructor() {
    super('delivery not found');
  }
}

/** 409 `webhook_limit`: the owner has as many endpoints as it may. */
export class WebhookLimitError extends DomainError {
  constructor(max: number) {
    super(
      'webhook_limit',
      `an owner (a tenant, or the global set) can have at most ${max} webhook endpoints`,
    );
  }
}

/** 409 `webhook_disabled`: a disabled endpoint is neither tested nor retried; enable it first. */
export class WebhookDisabledError extends DomainError {
  constructor() {
    super('webhook_disabled', 'the endpoint is disabled: PATCH it with status "enabled" first');
  }
}

export function assertEventTypes(events: readonly string[]): void {
  const problem = eventTypesProblem(events);
  if (problem) throw new ValidationError(problem);
}

export function assertUrl(url: string, allowLocal: boolean): void {
  const problem = urlProblem(url, allowLocal);
  if (problem) throw new ValidationError(problem);
}
