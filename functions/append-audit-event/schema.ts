import * as z from 'zod/mini';
import { identifier, settings, uuid } from '../../shared/http/schemas';

/** Text that is well-formed Unicode (no lone surrogate), of `min`..`max` characters. */
const wellFormed = (min: number, max: number) =>
  z.string().check(
    z.minLength(min),
    z.maxLength(max),
    z.refine((v) => !/[\uD800-\uDFFF]/u.test(v), 'must be well-formed Unicode text'),
  );

export const AppendAuditEventBody = z.strictObject({
  tenant_id: z.optional(uuid),
  project_id: z.optional(uuid),
  actor_id: z.optional(wellFormed(1, 255)),
  actor_name: z.optional(wellFormed(0, 255)),
  actor_type: z.optional(wellFormed(0, 64)),
  action: wellFormed(1, 128),
  target_id: z.optional(wellFormed(0, 255)),
  target_type: z.optional(wellFormed(0, 64)),
  target_name: z.optional(wellFormed(0, 255)),
  product: z.optional(identifier),
  metadata: z.optional(settings),
});
