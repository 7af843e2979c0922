/**
 * Writes shared/contract/routes.ts (every route) and shared/contract/tenant-openapi.generated.ts (the
 * tenant plane's part of the spec, the template of every per-tenant document) from
 * openapi.yaml, so Lambda bundles need no YAML at cold start. `npm run gen` after editing the
 * spec; a contract test fails while a generated file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planeOf } from '../shared/contract/planes';
import { loadSpec, operations } from '../shared/contract/spec';

export const ROUTES_PATH = fileURLToPath(new URL('../shared/contract/routes.ts', import.meta.url));
export const TENANT_OPENAPI_PATH = fileURLToPath(
  new URL('../shared/contract/tenant-openapi.generated.ts', import.meta.url),
);

/** Parameters that only say how a request names its tenant: fixed in a tenant's own document. */
const SELECTION_PARAMETERS = new Set([
  '#/components/parameters/TenantName',
  '#/components/parameters/TenantHeader',
  '#/components/parameters/TenantQuery',
]);

/**
 * The tenant-plane path items (keys still `/{tenant}/...`) without the tenant-naming
 * parameters, and exactly the components they reach, so a tenant's document is self-contained
 * and holds nothing of the operator or service planes.
 */
export function renderTenantOpenApi(): string {
  const spec = loadSpec();
  const paths: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    if (planeOf(path) !== 'tenant') continue;
    paths[path] = JSON.parse(JSON.stringify(item), (key, value: unknown) => {
      if (key !== 'parameters' || !Array.isArray(value)) return value;
      const kept = value.filter((p: { $ref?: string }) => !SELECTION_PARAMETERS.has(p.$ref ?? ''));
      return kept.length > 0 ? kept : undefined;
    });
  }
  const components: Record<string, Record<string, unknown>> = {};
  const pending = [JSON.stringify(paths)];
  for (const scheme of ['tenantBearer', 'tenantApiKey'])
    pending.push(`"#/components/securitySchemes/${scheme}"`);
  // Components' `paths` may use the document's own (`#/components/responses/BadRequest`), which
  // stays there although the tenant plane's operations answer the wider `TenantBadRequest`.
  for (const name of ['BadRequest']) pending.push(`"#/components/responses/${name}"`);
  while (pending.length > 0) {
    for (const [, kind, name] of (pending.pop() ?? '').matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      if (!kind || !name || components[kind]?.[name] !== undefined) continue;
      const value = spec.components[kind]?.[name];
      if (value === undefined) throw new Error(`openapi.yaml: #/components/${kind}/${name} is missing`);
      components[kind] = { ...components[kind], [name]: value };
      pending.push(JSON.stringify(value));
    }
  }
  const sorted = Object.fromEntries(
    Object.entries(components)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, entries]) => [
        kind,
        Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b))),
      ]),
  );
  const shared = sharedParts({ paths, sorted });
  const pathsSource = shared.render(paths, 0);
  const componentsSource = shared.render(sorted, 0);
  return `// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
// The tenant plane's paths (\`/{tenant}/...\`) and the components they use: the template of every
// per-tenant OpenAPI document (shared/services/tenant-swagger.ts). A part that occurs more than
// once (a response, a security requirement, a schema) is written once as a constant and used
// where it occurs: the document is the same, the bundle holds each such part once.

${shared.constants()}
export const TENANT_PATHS: Readonly<Record<string, unknown>> = ${pathsSource};

export const TENANT_COMPONENTS: Readonly<Record<string, unknown>> = ${componentsSource};
`;
}

/**
 * Every object or array that occurs more than once in `roots` (counted once inside a part that
 * itself repeats) and whose JSON is longer than a reference to it, as constants `_0`, `_1`, ...
 * in dependency order, and a renderer that writes a value with those parts by name. The
 * template is never mutated (tenantDocument copies what it changes), so sharing is safe.
 */
function sharedParts(roots: Record<string, unknown>): {
  constants: () => string;
  render: (value: unknown, depth: number) => string;
} {
  const MIN_JSON = 24;
  const counts = new Map<string, number>();
  const count = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    const json = JSON.stringify(value);
    const seen = counts.get(json) ?? 0;
    counts.set(json, seen + 1);
    if (seen === 0) for (const v of Object.values(value)) count(v);
  };
  for (const root of Object.values(roots)) for (const v of Object.values(root as object)) count(v);
  const names = new Map<string, string>();
  const lines: string[] = [];
  const render = (value: unknown, depth: number, own?: string): string => {
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    const json = JSON.stringify(value);
    if (json !== own && (counts.get(json) ?? 0) > 1 && json.length >= MIN_JSON) {
      let name = names.get(json);
      if (!name) {
        const body = render(value, 0, json);
        name = `_${names.size}`;
        names.set(json, name);
        lines.push(`const ${name}: unknown = ${body};`);
      }
      return name;
    }
    const pad = '  '.repeat(depth + 1);
    const end = '  '.repeat(depth);
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      return `[\n${value.map((v) => pad + render(v, depth + 1)).join(',\n')}\n${end}]`;
    }
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    for (const [key] of entries)
      if (key === '__proto__') throw new Error('openapi.yaml: a key named __proto__');
    return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${render(v, depth + 1)}`).join(',\n')}\n${end}}`;
  };
  return {
    constants: () => (lines.length > 0 ? `${lines.join('\n')}\n` : ''),
    render: (value, depth) => render(value, depth),
  };
}

/** The order methods are listed in an \`Allow\` header. */
const ALLOW_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * What \`OPTIONS <path>\` answers in \`Allow\`: the methods of the path's operations, plus HEAD
 * where there is a GET (answered like the GET without a body) and OPTIONS itself.
 */
export function allowOf(ops: readonly { method: string; path: string }[], path: string): string {
  const methods = new Set(ops.filter((o) => o.path === path).map((o) => o.method));
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return ALLOW_ORDER.filter((m) => methods.has(m)).join(', ');
}

export function renderRoutes(): string {
  const spec = loadSpec();
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const ops = operations(spec);
  const consts = ops
    .map(
      (o) =>
        `export const ${o.operationId} = {\n  operationId: '${o.operationId}',\n  method: '${o.method}',\n  path: '${o.path}',\n  plane: '${o.plane}',\n${o.scope ? `  scope: '${o.scope}',\n` : ''}  allow: '${allowOf(ops, o.path)}',\n} as const satisfies Route;`,
    )
    .join('\n');
  return `// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
// One export per operation, so a handler's bundle holds only its own route.
import type { Scope } from '../domain/api-key';
import type { Plane } from './planes';

export interface Route {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly plane: Plane;
  /** Tenant plane: the API-key scope the operation needs. */
  readonly scope?: Scope;
  /** The \`Allow\` header of the route's path: every method it answers, HEAD and OPTIONS included. */
  readonly allow: string;
}

export const CONTRACT_VERSION = '${spec.info.version}';
export const PACKAGE_VERSION = '${pkg.version}';

${consts}

/** Every route by operationId (the local router and the tests; handlers import their own). */
export const routes = {
${ops.map((o) => `  ${o.operationId},`).join('\n')}
} as const;

export type OperationId = keyof typeof routes;
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, render] of [
    [ROUTES_PATH, renderRoutes],
    [TENANT_OPENAPI_PATH, renderTenantOpenApi],
  ] as const) {
    writeFileSync(path, render());
    console.log(`wrote ${path.slice(path.indexOf('shared/'))}`);
  }
}
