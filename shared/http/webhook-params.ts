import * as z from 'zod/mini';
import { uuid } from './schemas';

/**
 * The webhooks' path parameters, apart from the bodies and queries (webhook-schemas.ts): zod
 * schemas are built when their module loads, so the functions that take only an id (get, delete,
 * test, retry) bundle only these.
 */
export const WebhookParams = z.strictObject({ id: uuid });
export const DeliveryParams = z.strictObject({
  id: uuid,
  delivery_id: z.string().check(z.regex(/^\d{1,16}$/, 'must be a delivery id (digits)')),
});
