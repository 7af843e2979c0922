import * as z from 'zod/mini';
import { text } from '../../shared/http/schemas';

export const CancelTenantBody = z.strictObject({
  reason: z.optional(text(500)),
  at_period_end: z.optional(z.boolean()),
});
