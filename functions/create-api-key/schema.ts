import * as z from 'zod/mini';
import { SCOPES } from '../../shared/domain/api-key';
import { identifier, text, uuid } from '../../shared/http/schemas';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 date-time on a day that exists, normalised to UTC with milliseconds. */
const dateTime = z.pipe(
  z.string().check(
    z.maxLength(64),
    z.refine((v) => {
      const day = RFC3339.exec(v)?.[1];
      if (!day) return false;
      const midnight = new Date(`${day}T00:00:00Z`);
      return (
        !Number.isNaN(midnight.getTime()) &&
        midnight.toISOString().slice(0, 10) === day &&
        !Number.isNaN(Date.parse(v))
      );
    }, 'must be an RFC 3339 date-time that exists, like 2030-01-31T12:00:00Z'),
  ),
  z.transform((v) => new Date(v).toISOString()),
);

export const CreateApiKeyBody = z.strictObject({
  tenant_id: uuid,
  name: text(100),
  product: z.optional(identifier),
  scopes: z.optional(
    z.array(z.enum(SCOPES)).check(
      z.maxLength(SCOPES.length),
      z.refine((list) => new Set(list).size === list.length, 'must not repeat a scope'),
    ),
  ),
  created_by: z.optional(text(255)),
  expires_at: z.optional(dateTime),
});
