import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod/mini';
import { ROUTES_PATH, renderRoutes, renderTenantOpenApi, TENANT_OPENAPI_PATH } from '../../bin/gen-contract';
import { kebab, planeOf } from '../../shared/contract/planes';
import { loadSpec, operations } from '../../shared/contract/spec';
import type { EndpointHandler } from '../../shared/http/endpoint';

/** openapi.yaml is the route table: these checks keep the code telling the same story. */
const spec = loadSpec();
const ops = operations(spec);
const functionsDir = fileURLToPath(new URL('../../functions/', import.meta.url));

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  allOf?: JsonSchema[];
};

function resolve(node: JsonSchema | undefined): JsonSchema | undefined {
  if (!node?.$ref) return node;
  const target = node.$ref
    .slice(2)
    .split('/')
    .reduce<unknown>((n, part) => (n as Record<string, unknown>)[part], spec);
  return resolve(target as JsonSchema);
}

type OperationObject = {
  operationId: string;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  parameters?: ({ $ref?: string } & { in?: string; name?: string; required?: boolean })[];
};

function operationObject(
  path: string,
  method: string,
): { op: OperationObject; shared: OperationObject['parameters'] } {
  const item = spec.paths[path] as Record<string, unknown>;
  return {
    op: item[method.toLowerCase()] as OperationObject,
    shared: (item.parameters as OperationObject['parameters']) ?? [],
  };
}

function parametersIn(
  path: string,
  method: string,
  where: 'query' | 'path',
): { name: string; required: boolean }[] {
  const { op, shared } = operationObject(path, method);
  return [...(shared ?? []), ...(op.parameters ?? [])]
    .map((p) => (p.$ref ? (resolve(p as JsonSchema) as typeof p) : p))
    .filter((p) => p.in === where)
    .map((p) => ({ name: p.name ?? '', required: p.required === true }));
}

describe('openapi.yaml <-> functions/', () => {
  test('every operation has exactly one function folder and every folder exactly one operation', () => {
    const folders = readdirSync(functionsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const expected = ops.map((o) => kebab(o.operationId)).sort();
    expect(folders).toEqual(expected);
    expect(new Set(expected).size).toBe(expected.length);
  });

  test('the generated route module is up to date (npm run gen)', () => {
    expect(readFileSync(ROUTES_PATH, 'utf8')).toBe(renderRoutes());
  });

  test('the generated tenant-plane OpenAPI template is up to date (npm run gen)', () => {
    expect(readFileSync(TENANT_OPENAPI_PATH, 'utf8')).toBe(renderTenantOpenApi());
  });

  test('planes follow the paths: health public, /v1/internal service, /v1 operator, the rest tenant', () => {
    for (const op of ops) {
      const security = (
        spec.paths[op.path]?.[op.method.toLowerCase()] as { security?: unknown[] } | undefined
      )?.security;
      if (op.plane === 'public') expect(security).toEqual([]);
      else if (op.plane === 'tenant') {
        // A tenant API key, as Bearer or X-Api-Key, with exactly one scope: never the admin token.
        expect(security).toEqual([{ tenantBearer: [op.scope] }, { tenantApiKey: [op.scope] }]);
        expect(op.scope).toMatch(/^[a-z]+:[a-z]+$/);
      } else expect(security).toBeUndefined(); // inherits the document's admin bearer
      expect(planeOf(op.path)).toBe(op.plane);
    }
  });

  test('request bodies are closed objects at every level', () => {
    const open: string[] = [];
    const walk = (node: JsonSchema | undefined, where: string) => {
      const s = resolve(node);
      if (!s) return;
      for (const part of s.allOf ?? []) walk(part, where);
      if (s.type === 'object' && s.properties) {
        if (s.additionalProperties !== false) open.push(where);
        for (const [k, v] of Object.entries(s.properties)) walk(v, `${where}.${k}`);
      }
      if (s.items) walk(s.items, `${where}[]`);
    };
    for (const op of ops) {
      const body = operationObject(op.path, op.method).op.requestBody;
      if (body) walk(body.content['application/json']?.schema, op.operationId);
    }
    // `settings` is free-form by design (documented); everything else is closed.
    expect(open.filter((w) => !w.endsWith('.settings'))).toEqual([]);
  });
});

describe.each(ops)('$operationId handler', (op) => {
  let handler: EndpointHandler;
  beforeAll(async () => {
    ({ handler } = (await import(`../../functions/${kebab(op.operationId)}/handler.ts`)) as {
      handler: EndpointHandler;
    });
  });

  test('declares its own operation and plane', () => {
    expect(handler.spec.operation.operationId).toBe(op.operationId);
    expect(handler.spec.plane).toBe(op.plane);
  });

  /** Tenant plane: the parameters that name the tenant are the admission's, not the handler's. */
  const consumed = (name: string) => op.plane === 'tenant' && (name === 'tenant' || name === 'tenant_id');
  /** Tenant POSTs take parameters from the query string or the body, so no body field is required as such. */
  const merged = op.plane === 'tenant' && op.method === 'POST';

  const fields = (schema: unknown) => {
    const json = z.toJSONSchema(schema as z.ZodMiniType, {
      io: 'input',
      unrepresentable: 'any',
    }) as JsonSchema;
    return { names: Object.keys(json.properties ?? {}).sort(), required: [...(json.required ?? [])].sort() };
  };

  test('validates the body the spec describes: same fields, same required ones', () => {
    const body = operationObject(op.path, op.method).op.requestBody;
    const specSchema = resolve(body?.content['application/json']?.schema);
    if (!specSchema) {
      expect(handler.spec.body).toBeUndefined();
      return;
    }
    expect(handler.spec.body).toBeDefined();
    const own = fields(handler.spec.body);
    expect(merged ? own.names : own).toEqual(
      merged
        ? Object.keys(specSchema.properties ?? {}).sort()
        : {
            names: Object.keys(specSchema.properties ?? {}).sort(),
            required: [...(specSchema.required ?? [])].sort(),
          },
    );
  });

  test('validates the query and path parameters the spec describes', () => {
    const query = parametersIn(op.path, op.method, 'query').filter((p) => !consumed(p.name));
    const path = parametersIn(op.path, op.method, 'path').filter((p) => !consumed(p.name));
    if (merged) {
      // The query string is more of the body: every documented query parameter is a body field.
      expect(handler.spec.query).toBeUndefined();
      // (A POST that takes no parameters at all has no body schema.)
      expect(handler.spec.body ? fields(handler.spec.body).names : []).toEqual(
        expect.arrayContaining(query.map((p) => p.name)),
      );
    } else {
      expect(handler.spec.query ? fields(handler.spec.query).names : []).toEqual(
        query.map((p) => p.name).sort(),
      );
    }
    expect(handler.spec.params ? fields(handler.spec.params).names : []).toEqual(
      path.map((p) => p.name).sort(),
    );
  });
});
