import * as z from 'zod/mini';
import { queryInt, uuid } from '../../shared/http/schemas';

export const ListApiKeysQuery = z.strictObject({
  tenant_id: uuid,
  limit: queryInt(1, 500, 100),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});
