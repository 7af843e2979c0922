import * as z from 'zod/mini';
import { dateTime } from '../../shared/http/catalog-schemas';
import { settings } from '../../shared/http/field-schemas';

export const GrantEntitlementBody = z.strictObject({
  config: z.optional(settings),
  expires_at: z.optional(z.nullable(dateTime)),
});
