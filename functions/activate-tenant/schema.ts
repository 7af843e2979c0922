import { identifier, isoDate, text, z } from '../../shared/http/schemas';

export const ActivateTenantBody = z.strictObject({
  plan: z.optional(identifier),
  contract_start: z.optional(isoDate),
  contract_end: z.optional(isoDate),
  erp_customer_id: z.optional(text(100)),
});
