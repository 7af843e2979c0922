import * as z from 'zod/mini';
import { AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS } from '../../shared/domain/audit-retention';
import { identifierList, settings } from '../../shared/http/field-schemas';
import { text } from '../../shared/http/schemas';

/** Only these fields may change; anything else (id, status, version, ...) is a 400. */
export const UpdateTenantBody = z.strictObject({
  name: z.optional(text(255)),
  sales_owner: z.optional(text(255)),
  erp_customer_id: z.optional(text(100)),
  active_components: z.optional(identifierList),
  active_record_types: z.optional(identifierList),
  settings: z.optional(settings),
  /** null: back to the stack's default. */
  audit_retention_days: z.optional(
    z.nullable(z.int().check(z.gte(AUDIT_RETENTION_MIN_DAYS), z.lte(AUDIT_RETENTION_MAX_DAYS))),
  ),
});
