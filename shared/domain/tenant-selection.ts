import { isSlug, isUuid } from './slug';

/**
 * Which tenant a tenant-plane request names, and how (seed 002 for `/tenant/...`, seed 003
 * for `/{tenant}/...`). Pure: the names are resolved and checked against the caller's key by
 * `TenantAccess`.
 */

/** The path segment that means "the header or the query names the tenant": reserved, never a slug. */
export const SELECTED_FORM = 'tenant';
/** The query parameter that names the tenant when the header is absent. */
export const TENANT_QUERY = 'tenant_id';

export interface SelectionSettings {
  /** The header's name as configured (messages name it). */
  readonly header: string;
  readonly required: boolean;
  readonly defaultTenant: string | undefined;
}

export interface SelectionInput {
  /** The `{tenant}` path segment, decoded (case is folded here, as for the header and query). */
  readonly path: string;
  /** The tenant header's value, if sent. */
  readonly header: string | undefined;
  /** The `tenant_id` query parameter, if sent. */
  readonly query: string | undefined;
}

export type Selection =
  /** `name` is the tenant the request is about; every one of `alsoNamed` must be the same tenant. */
  | { readonly kind: 'named'; readonly name: string; readonly alsoNamed: readonly string[] }
  /** Nothing named and nothing required: the tenant of the caller's key. */
  | { readonly kind: 'own' }
  /** `/tenant/...` without header or query while a tenant is required: 400. */
  | { readonly kind: 'missing'; readonly message: string }
  /** The header or query value can name no tenant: 400. */
  | { readonly kind: 'malformed'; readonly message: string }
  /** The path segment can name no tenant: 404, exactly like an unknown route. */
  | { readonly kind: 'no-route' };

/** A slug (reserved words excluded) or a tenant UUID: what can name a tenant. */
export function isTenantName(value: string): boolean {
  return isUuid(value) || isSlug(value);
}

export { isUuid as isTenantUuid };

/**
 * One rule for the three ways of naming a tenant: ASCII letters fold to lower case (`ACME`,
 * `Acme` and `acme` name the same tenant, a UUID in any case names itself). Only A-Z: Unicode
 * case mapping would turn other characters into slug letters (the Kelvin sign into `k`).
 */
function foldCase(value: string): string {
  return value.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

/** A header or query value is also trimmed, and empty means absent; a path segment is not trimmed. */
function normalise(value: string | undefined): string | undefined {
  return foldCase(value?.trim() ?? '') || undefined;
}

export function selectTenant(input: SelectionInput, settings: SelectionSettings): Selection {
  const path = foldCase(input.path);
  const header = normalise(input.header);
  const query = normalise(input.query);
  const sent = `the ${settings.header} header or the ${TENANT_QUERY} query parameter`;
  for (const [value, where] of [
    [header, `the ${settings.header} header`],
    [query, `the ${TENANT_QUERY} query parameter`],
  ] as const) {
    if (value !== undefined && !isTenantName(value)) {
      return { kind: 'malformed', message: `${where} must be a tenant slug or UUID` };
    }
  }

  if (path !== SELECTED_FORM) {
    // Path form: the path names the tenant; a header or query may only agree with it.
    if (!isTenantName(path)) return { kind: 'no-route' };
    return {
      kind: 'named',
      name: path,
      alsoNamed: [header, query].filter((v): v is string => v !== undefined),
    };
  }

  // Selected form: the header wins over the query.
  const named = header ?? query;
  if (named !== undefined) return { kind: 'named', name: named, alsoNamed: [] };
  if (settings.required) {
    return { kind: 'missing', message: `name the tenant with ${sent} (a slug or the tenant's UUID)` };
  }
  if (settings.defaultTenant !== undefined) {
    return { kind: 'named', name: settings.defaultTenant, alsoNamed: [] };
  }
  return { kind: 'own' };
}
