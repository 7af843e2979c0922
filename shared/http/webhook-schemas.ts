import * as z from 'zod/mini';
import { WEBHOOK_LIMITS } from '../domain/webhooks';
import { queryInt, text, uuid } from './schemas';

/**
 * The webhooks' request shapes, shared by the operator and tenant planes. The shape is checked
 * here; what the values may be (https, known event types) is the domain's rule
 * (`urlProblem`, `eventTypesProblem`), with its own messages.
 */

/** What every answer that carries a signing secret says beside it. */
export const SECRET_WARNING =
  'Store this secret now: it is shown only in this response and cannot be read again.';

const url = text(WEBHOOK_LIMITS.urlLength);
const eventTypes = z
  .array(z.string().check(z.minLength(1), z.maxLength(128)))
  .check(z.maxLength(WEBHOOK_LIMITS.eventTypes));
const description = text(WEBHOOK_LIMITS.descriptionLength);

export const CreateWebhookBody = z.strictObject({
  url,
  events: eventTypes,
  tenant_id: z.optional(uuid),
  description: z.optional(description),
});

/** The tenant's own: no `tenant_id`; `events` may also come comma-separated (query string). */
export const TenantWebhookCreate = z.strictObject({
  url,
  events: z.pipe(
    z.pipe(
      z.union([z.array(z.string()), z.string().check(z.maxLength(4096))]),
      z.transform((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v)),
    ),
    eventTypes,
  ),
  description: z.optional(description),
});

export const UpdateWebhookBody = z.strictObject({
  url: z.optional(url),
  events: z.optional(eventTypes),
  description: z.optional(z.nullable(description)),
  status: z.optional(z.enum(['enabled', 'disabled'])),
});

const page = {
  limit: queryInt(1, 100, 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
};

export const ListWebhooksQuery = z.strictObject({ tenant_id: z.optional(uuid), ...page });
export const TenantWebhooksQuery = z.strictObject(page);
export const DeliveriesQuery = z.strictObject({
  limit: page.limit,
  cursor: z.optional(z.string().check(z.regex(/^\d{1,16}$/, 'must be the next_cursor of a previous page'))),
});

export { DeliveryParams, WebhookParams } from './webhook-params';
