import * as z from 'zod/mini';
import { TENANT_STATUSES } from '../../shared/domain/tenant';
import { queryInt } from '../../shared/http/schemas';

export const ListTenantsQuery = z.strictObject({
  status: z.optional(z.enum(TENANT_STATUSES)),
  limit: queryInt(1, 500, 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});
