import type { CatalogEntry } from './catalog';
import { externalReference } from './openapi-paths';

/**
 * One tenant's OpenAPI 3.1 document (seed 003): the tenant-plane endpoints with `{tenant}`
 * fixed to the name the caller used, plus the `paths` of the catalog entries the tenant uses
 * (its active components and enabled entitlements), under the same prefix. Built from a
 * template generated from openapi.yaml; it names no other tenant and no operator or service
 * route. Pure: no AWS, no HTTP.
 */

export interface TenantDocumentInput {
  /** The slug, alias or UUID the caller named the tenant by: the prefix of every path. */
  readonly name: string;
  readonly title: string;
  readonly version: string;
  /** The tenant-plane paths, keyed `/{tenant}/...`. */
  readonly template: Readonly<Record<string, unknown>>;
  readonly components: Readonly<Record<string, unknown>>;
  /** The catalog entries the tenant uses, in a stable order (by key). */
  readonly entries: readonly CatalogEntry[];
}

const TEMPLATE_PREFIX = '/{tenant}';
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export function tenantDocument(input: TenantDocumentInput): Record<string, unknown> {
  const prefix = `/${input.name}`;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(input.template)) {
    if (path.startsWith(TEMPLATE_PREFIX))
      paths[prefix + path.slice(TEMPLATE_PREFIX.length)] = { ...(item as object) };
  }
  const operationIds = new Set(operationIdsOf(paths));
  // A component documents paths relative to the tenant. Where two components (or a component
  // and the tenant plane) document the same method of a path, the first one (by key) keeps it,
  // and an operationId already taken is dropped, so the document stays valid.
  for (const entry of input.entries) {
    // The catalog refuses such fragments; one stored before that rule is left out whole, so a
    // tenant's document never sends a reader elsewhere.
    if (externalReference(entry.paths)) continue;
    for (const [path, raw] of Object.entries(entry.paths ?? {})) {
      if (path.startsWith('x-') || raw === null || typeof raw !== 'object') continue;
      const key = path === '/' ? prefix : prefix + path;
      const target = paths[key] ?? {};
      paths[key] = target;
      for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
        if (Object.hasOwn(target, field)) continue;
        if (METHODS.has(field) && value !== null && typeof value === 'object') {
          const { operationId, ...operation } = value as Record<string, unknown>;
          const keep = typeof operationId === 'string' && !operationIds.has(operationId);
          if (keep) operationIds.add(operationId);
          target[field] = keep ? { ...operation, operationId } : operation;
        } else {
          target[field] = value;
        }
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: input.title,
      version: input.version,
      description: 'The API of this tenant: the tenant-plane endpoints and those of its active components.',
    },
    paths,
    components: input.components,
  };
}

function* operationIdsOf(paths: Record<string, Record<string, unknown>>): Generator<string> {
  for (const item of Object.values(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = METHODS.has(method) ? (op as { operationId?: unknown }).operationId : undefined;
      if (typeof id === 'string') yield id;
    }
  }
}
