import * as z from 'zod/mini';
import { SCOPES } from '../domain/api-key';
import { dateTime } from './catalog-schemas';
import { identifier, queryInt, text, uuid } from './schemas';

/** The API keys' request shapes, shared by the operator and tenant planes. */

const scopeList = z.array(z.enum(SCOPES)).check(
  z.maxLength(SCOPES.length),
  z.refine((list) => new Set(list).size === list.length, 'must not repeat a scope'),
);

export const CreateApiKeyBody = z.strictObject({
  tenant_id: uuid,
  name: text(100),
  product: z.optional(identifier),
  scopes: z.optional(scopeList),
  created_by: z.optional(text(255)),
  expires_at: z.optional(dateTime),
});

export const ListApiKeysQuery = z.strictObject({
  tenant_id: uuid,
  limit: queryInt(1, 500, 100),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

/** The tenant's own: no `tenant_id`, and `scopes` may also come comma-separated (query string). */
export const TenantApiKeyCreate = z.strictObject({
  name: text(100),
  product: z.optional(identifier),
  scopes: z.optional(
    z.pipe(
      z.pipe(
        z.union([z.array(z.string()), z.string().check(z.maxLength(256))]),
        z.transform((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v)),
      ),
      scopeList,
    ),
  ),
  expires_at: z.optional(dateTime),
});

export const ListTenantApiKeysQuery = z.strictObject({
  limit: ListApiKeysQuery.shape.limit,
  cursor: ListApiKeysQuery.shape.cursor,
});
