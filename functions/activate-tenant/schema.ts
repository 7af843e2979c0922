import * as z from 'zod/mini';
import { identifier, isoDate } from '../../shared/http/field-schemas';
import { text } from '../../shared/http/schemas';

export const ActivateTenantBody = z
  .strictObject({
    plan: z.optional(identifier),
    contract_start: z.optional(isoDate),
    contract_end: z.optional(isoDate),
    erp_customer_id: z.optional(text(100)),
  })
  .check(
    z.refine(
      (b) => !b.contract_start || !b.contract_end || b.contract_start <= b.contract_end,
      'contract_end must not be before contract_start',
    ),
  );
