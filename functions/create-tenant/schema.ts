import * as z from 'zod/mini';
import { identifier, identifierList, settings, slug, text } from '../../shared/http/schemas';

export const CreateTenantBody = z.strictObject({
  slug,
  name: text(255),
  plan: z.optional(identifier),
  kind: z.optional(z.enum(['customer', 'demo'])),
  sales_owner: z.optional(text(255)),
  erp_customer_id: z.optional(text(100)),
  active_components: z.optional(identifierList),
  active_record_types: z.optional(identifierList),
  settings: z.optional(settings),
});
