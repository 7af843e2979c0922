import * as z from 'zod/mini';
import { DEFAULT_ROLL_OVERLAP_SECONDS, MAX_ROLL_OVERLAP_SECONDS, SCOPES } from '../domain/api-key';
import { dateTime } from './catalog-schemas';
import { identifier } from './field-schemas';
import { queryInt, text, uuid } from './schemas';

/**
 * The API keys' request shapes, shared by the operator and tenant planes. An empty `scopes` list
 * passes here on purpose: the scope rule (`grantableScopes`) refuses it with its own message.
 */

/** What every answer that carries a plaintext key says beside it. */
export const PLAINTEXT_WARNING =
  'Store this key now: it is shown only in this response and cannot be recovered.';

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
  /** `null`: the operator chooses a key that never expires. */
  expires_at: z.optional(z.nullable(dateTime)),
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

/**
 * `overlap_seconds`: an integer from 0 to a week, default a day. `fromText` also takes the digits
 * of a query string (the tenant plane merges query and body).
 */
const overlapSeconds = (fromText: boolean) =>
  z.pipe(
    z.optional(fromText ? z.union([z.number(), z.string().check(z.maxLength(16))]) : z.number()),
    z.transform((v, ctx) => {
      if (v === undefined) return DEFAULT_ROLL_OVERLAP_SECONDS;
      const n = typeof v === 'number' ? v : /^\d{1,7}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n) || n < 0 || n > MAX_ROLL_OVERLAP_SECONDS) {
        ctx.issues.push({
          code: 'custom',
          message: `must be an integer from 0 to ${MAX_ROLL_OVERLAP_SECONDS}`,
          input: v,
        });
        return z.NEVER;
      }
      return n;
    }),
  );

export const RollApiKeyBody = z.strictObject({
  overlap_seconds: overlapSeconds(false),
  expires_at: CreateApiKeyBody.shape.expires_at,
});

export const TenantApiKeyRoll = z.strictObject({
  overlap_seconds: overlapSeconds(true),
  expires_at: TenantApiKeyCreate.shape.expires_at,
});
