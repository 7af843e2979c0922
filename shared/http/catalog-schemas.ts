import * as z from 'zod/mini';
import { identifier } from './field-schemas';
import { uuid } from './schemas';

/** Request shapes shared by the catalog and entitlement operations. */

/** A tenant's product request or trial request (seed 004's CatalogRequest). */
export const CatalogRequestBody = z.strictObject({ tenant_id: uuid, product: identifier });

/** The path of one entitlement: `/v1/tenants/{id}/entitlements/{product}`. */
export const EntitlementParams = z.strictObject({ id: uuid, product: identifier });

const RFC3339 = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * An RFC 3339 date-time that exists (`2024-02-30T00:00:00Z` is refused), normalized to UTC
 * with milliseconds, so stored times compare as text.
 */
export const dateTime = z.pipe(
  z.string().check(
    z.maxLength(64),
    z.refine((v) => {
      const m = RFC3339.exec(v);
      const date = m?.[1];
      if (!date) return false;
      const day = new Date(`${date}T00:00:00Z`);
      return (
        !Number.isNaN(day.getTime()) &&
        day.toISOString().slice(0, 10) === date &&
        !Number.isNaN(Date.parse(v))
      );
    }, 'must be an RFC 3339 date-time that exists, like 2030-01-31T12:00:00Z'),
  ),
  z.transform((v) => new Date(v).toISOString()),
);

/** The tenant plane's product or trial request: the tenant is the caller's. */
export const TenantCatalogRequest = z.strictObject({ product: identifier });
