import * as z from 'zod/mini';
import { isPlainObject, uuid } from '../../shared/http/schemas';

const MAX_ATTRS = 50;
const MAX_VALUE = 1024;

/**
 * Keycloak user attributes: a JSON object of at most 50 string values. Checked on the value as
 * sent, never rebuilt key by key, so no key can reach a prototype.
 */
const userAttrs = z.custom<Record<string, string>>().check(
  z.refine(isPlainObject, 'must be a JSON object of strings'),
  z.refine(
    (v) => typeof v !== 'object' || v === null || Object.keys(v).length <= MAX_ATTRS,
    `must have at most ${MAX_ATTRS} attributes`,
  ),
  z.refine(
    (v) =>
      typeof v !== 'object' ||
      v === null ||
      Object.values(v).every((a) => typeof a === 'string' && a.length <= MAX_VALUE),
    `must hold strings of at most ${MAX_VALUE} characters`,
  ),
);

export const ResolveClaimsBody = z.strictObject({
  tenant_id: z.optional(uuid),
  tenant_slug: z.optional(z.string().check(z.maxLength(64))),
  user_attrs: z.optional(userAttrs),
});
