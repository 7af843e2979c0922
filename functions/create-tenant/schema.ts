import * as z from 'zod/mini';
import { identifier, identifierList, settings } from '../../shared/http/field-schemas';
import { slug, text } from '../../shared/http/schemas';

/** The `email` format as the spec's validator (ajv-formats, full mode) reads it, so both agree. */
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

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
  /** Invited through Keycloak as IT_ADMIN when Keycloak is configured; otherwise ignored. */
  admin_email: z.optional(z.string().check(z.maxLength(254), z.regex(EMAIL))),
  admin_name: z.optional(text(255)),
});
