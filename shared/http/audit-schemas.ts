import * as z from 'zod/mini';
import { MAX_BATCH_EVENTS } from '../domain/audit';
import { ORIGINS } from '../domain/audit-events';
import { EXPORT_FORMATS } from '../domain/audit-export';
import { VERIFY_BUDGET_MS } from '../services/audit';
import { identifier, settings } from './field-schemas';
import { queryInt, uuid } from './schemas';

/** The audit log's request shapes, shared by the operator and tenant planes. */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time that exists (`2024-02-30T00:00:00Z` is refused), as epoch milliseconds
 * rounded up: events (at whole milliseconds) at or after it are exactly those at or after this.
 */
const dateTime = z.pipe(
  z.string(),
  z.transform((v, ctx) => {
    const m = DATE_TIME.exec(v);
    const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m ?? [];
    const day = new Date(`${y}-${mo}-${d}T00:00:00Z`);
    const ok =
      m !== null &&
      !Number.isNaN(day.getTime()) &&
      day.toISOString().slice(0, 10) === `${y}-${mo}-${d}` &&
      Number(h) < 24 &&
      Number(mi) < 60 &&
      Number(s) < 60 &&
      (zone.toUpperCase() === 'Z' || (Number(zone.slice(1, 3)) < 24 && Number(zone.slice(4)) < 60));
    if (!ok) {
      ctx.issues.push({ code: 'custom', message: 'must be an RFC 3339 date-time that exists', input: v });
      return z.NEVER;
    }
    const whole = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone.toUpperCase()}`);
    // Rounded up to the millisecond (created_at's precision), on the fraction alone: added to
    // the epoch first, digits below a microsecond would be lost to floating point.
    return whole + Math.ceil(fraction ? Number(`0${fraction}`) * 1000 : 0);
  }),
);

/** A positive id below 2^53. */
const cursor = z.pipe(
  z.string(),
  z.transform((v, ctx) => {
    const n = /^[1-9]\d{0,15}$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n)) {
      ctx.issues.push({ code: 'custom', message: 'must be a positive integer (an event id)', input: v });
      return z.NEVER;
    }
    return n;
  }),
);

const text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.refine((v) => !/[\uD800-\uDFFF]/u.test(v), 'must be well-formed Unicode text'),
  );

export const ListAuditEventsQuery = z.strictObject({
  tenant_id: z.optional(uuid),
  product: z.optional(identifier),
  actor_id: z.optional(text(255)),
  action: z.optional(text(128)),
  origin: z.optional(z.enum(ORIGINS)),
  key_id: z.optional(uuid),
  since: z.optional(dateTime),
  until: z.optional(dateTime),
  limit: queryInt(1, 500, 50),
  cursor: z.optional(cursor),
});

/** The export's selection: the listing's filters and range, no page; and the file format. */
const { limit: _limit, cursor: _cursor, ...exportFilters } = ListAuditEventsQuery.shape;
export const ExportAuditEventsQuery = z.strictObject({
  ...exportFilters,
  format: z._default(z.enum(EXPORT_FORMATS), 'ndjson'),
});

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

/** Where a verification starts: `checkpoint` or an event id (a `next` of an earlier call). */
const verifyFrom = z.pipe(
  z.string(),
  z.transform((v, ctx): 'checkpoint' | number => {
    if (v === 'checkpoint') return v;
    const n = /^[1-9]\d{0,15}$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n)) {
      ctx.issues.push({ code: 'custom', message: 'must be checkpoint or an event id', input: v });
      return z.NEVER;
    }
    return n;
  }),
);

export const VerifyAuditChainQuery = z.strictObject({
  tenant_id: z.optional(uuid),
  from: z.optional(verifyFrom),
  budget_ms: queryInt(1, VERIFY_BUDGET_MS, VERIFY_BUDGET_MS),
});

/** The operator's filters, less `tenant_id`: the tenant plane lists the caller's tenant only. */
const { tenant_id: _listTenant, ...tenantFilters } = ListAuditEventsQuery.shape;
export const TenantAuditQuery = z.strictObject(tenantFilters);

/** The operator's event, less `tenant_id`: an appended event always belongs to the caller's tenant. */
const { tenant_id: _appendTenant, ...tenantEvent } = AppendAuditEventBody.shape;
export const TenantAuditAppend = z.strictObject(tenantEvent);

/** A batch: 1 to 99 events, each shaped like a single append (`MAX_BATCH_EVENTS`). */
const batchOf = <T extends z.ZodMiniType>(event: T) =>
  z.strictObject({ events: z.array(event).check(z.minLength(1), z.maxLength(MAX_BATCH_EVENTS)) });
export const AppendAuditBatchBody = batchOf(AppendAuditEventBody);
export const TenantAuditBatch = batchOf(TenantAuditAppend);

/** The operator's export selection, less `tenant_id`: the tenant plane exports the caller's chain only. */
const { tenant_id: _exportTenant, ...tenantExportFilters } = ExportAuditEventsQuery.shape;
export const TenantExportQuery = z.strictObject(tenantExportFilters);
