import { Validator } from '@seriousme/openapi-schema-validator';
import * as app from '../../shared/app';
import { loadSpec } from '../../shared/contract/spec';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * Per-tenant OpenAPI documents (GET /{tenant}/swagger; seed 003): 50 tenants with different
 * components, from active_components and from entitlements, each document valid OpenAPI 3.1
 * (checked with @seriousme/openapi-schema-validator), holding exactly its own paths: the
 * tenant-plane paths under the name the request used plus the paths of its components, no
 * other tenant's name, id or paths and no operator route. Then: regenerated when what it is
 * built from changes (ETag too), stable when nothing does, and named as the request named it.
 */

let stack: TestStack;
const validator = new Validator();
let validated = 0;

interface Fixture {
  readonly id: string;
  readonly slug: string;
  readonly key: string;
  /** The components whose paths its document must hold. */
  readonly components: readonly string[];
}

/** The tenant plane's paths relative to the tenant (`/profile`, `/api-keys/{id}`, ...), from openapi.yaml. */
const SPEC = loadSpec();
const TENANT_PLANE: readonly string[] = Object.keys(SPEC.paths)
  .filter((p) => p.startsWith('/{tenant}/'))
  .map((p) => p.slice('/{tenant}'.length));
/** Every operation of the tenant plane, as `METHOD /relative/path`. */
const TENANT_PLANE_OPERATIONS: readonly string[] = Object.entries(SPEC.paths)
  .filter(([p]) => p.startsWith('/{tenant}/'))
  .flatMap(([p, item]) =>
    Object.keys(item)
      .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
      .map((m) => `${m.toUpperCase()} ${p.slice('/{tenant}'.length)}`),
  );

/** Components: catalog entries with paths (`cmp-root` also documents the tenant's root). */
const COMPONENTS = ['cmp-billing', 'cmp-crm', 'cmp-hr', 'cmp-stock', 'cmp-reports', 'cmp-root'] as const;
/** A catalog entry without paths: in use, it adds nothing to a document. */
const PLAIN = 'cmp-plain';

const camel = (key: string) => key.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
const op = (operationId: string, summary: string) => ({
  operationId,
  summary,
  responses: {
    '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
    '404': { description: 'Not found' },
  },
});

/** A component's paths, relative to the tenant; `generation` varies them for the change tests. */
function componentPaths(key: string, generation = 1): Record<string, unknown> {
  const base = `/${key.slice('cmp-'.length)}`;
  const paths: Record<string, unknown> = {
    [`${base}/items`]: {
      get: op(`${camel(key)}ListItems`, `List the ${key} items`),
      post: op(`${camel(key)}CreateItem`, `Create a ${key} item`),
    },
    [`${base}/items/{itemId}`]: {
      parameters: [{ name: 'itemId', in: 'path', required: true, schema: { type: 'string' } }],
      get: op(`${camel(key)}GetItem`, `One ${key} item`),
    },
  };
  if (generation > 1)
    paths[`${base}/v${generation}/export`] = { get: op(`${camel(key)}Export${generation}`, 'Export') };
  if (key === 'cmp-root') paths['/'] = { get: op('cmpRootHome', 'The tenant home') };
  return paths;
}

/** What a component adds to the document of a tenant named `name`. */
function expectedComponentPaths(key: string, name: string, generation = 1): string[] {
  return Object.keys(componentPaths(key, generation)).map((p) => (p === '/' ? `/${name}` : `/${name}${p}`));
}

async function putEntry(key: string, paths?: Record<string, unknown>): Promise<void> {
  const res = await stack.request('PUT', `/v1/catalog/${key}`, {
    body: {
      name: key,
      description: `component ${key}`,
      plans_required: [],
      supports_trial: true,
      ...(paths ? { paths } : {}),
    },
  });
  expect(res.status).toBeLessThan(300);
}

async function grant(tenantId: string, product: string): Promise<void> {
  const res = await stack.request('PUT', `/v1/tenants/${tenantId}/entitlements/${product}`, { body: {} });
  expect(res.status).toBeLessThan(300);
}

async function revoke(tenantId: string, product: string): Promise<void> {
  expect((await stack.request('DELETE', `/v1/tenants/${tenantId}/entitlements/${product}`)).status).toBe(204);
}

async function newKey(tenantId: string): Promise<string> {
  const res = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: 'swagger', scopes: ['swagger:read'] },
  });
  expect(res.status).toBe(201);
  return res.body.plaintext;
}

/** GET `path` with the key in X-Api-Key (no admin token). */
const fetchAs = (key: string, path: string, headers: Record<string, string> = {}) =>
  stack.request('GET', path, { token: null, headers: { 'x-api-key': key, ...headers } });

/** The document at `path`, which must be 200 and valid OpenAPI 3.1. */
async function swagger(key: string, path: string, headers: Record<string, string> = {}) {
  const res: TestResponse<Record<string, any>> = await fetchAs(key, path, headers);
  expect(res.status).toBe(200);
  expect(res.headers.etag).toMatch(/^".+"$/);
  const result = await validator.validate(res.body);
  if (!result.valid)
    throw new Error(`${path}: not valid OpenAPI: ${JSON.stringify(result.errors).slice(0, 2000)}`);
  expect(validator.version).toBe('3.1');
  expect(res.body.openapi).toBe('3.1.0');
  validated += 1;
  return { document: res.body, paths: Object.keys(res.body.paths).sort(), etag: res.headers.etag as string };
}

/** The paths a tenant named `name` with `components` must have, exactly. */
function expectedPaths(name: string, components: readonly string[]): string[] {
  return [
    ...TENANT_PLANE.map((p) => `/${name}${p}`),
    ...components.flatMap((c) => expectedComponentPaths(c, name)),
  ].sort();
}

/** Each tenant-plane operation is there, with its method, under `name`. */
function expectTenantPlaneOperations(document: Record<string, any>, name: string): void {
  for (const operation of TENANT_PLANE_OPERATIONS) {
    const [method, path] = operation.split(' ') as [string, string];
    expect(document.paths[`/${name}${path}`]?.[method.toLowerCase()]).toBeDefined();
  }
}

/** Every reference keyword's string value in `node` that is not local (`#/...`), with where it is. */
function nonLocalReferences(node: unknown, where = ''): string[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) =>
    typeof v === 'string' && ['$ref', '$dynamicRef', 'operationRef', 'externalValue'].includes(k)
      ? v.startsWith('#/')
        ? []
        : [`${where}/${k}: ${v}`]
      : nonLocalReferences(v, `${where}/${k}`),
  );
}

/** `text` names `slug` as a whole word (so `acme` is not found inside `acme-corp`). */
const namesSlug = (text: string, slug: string) =>
  new RegExp(`(?<![a-z0-9-])${slug.replace(/[.-]/g, '\\$&')}(?![a-z0-9-])`).test(text);

const tenants: Fixture[] = [];

/** Tenant i's components: bit j of i selects COMPONENTS[j]; even (i + j) by active_components, odd by entitlement. */
function plan(i: number): { active: string[]; entitled: string[] } {
  const active: string[] = [];
  const entitled: string[] = [];
  COMPONENTS.forEach((c, j) => {
    if ((i >> j) & 1) ((i + j) % 2 === 0 ? active : entitled).push(c);
  });
  if (i % 3 === 0) active.push(PLAIN);
  return { active, entitled };
}

/** 50 slugs; prefix pairs among them (acme / acme-corp, a10 / a100) catch matching by prefix. */
const SLUGS = [
  ...Array.from({ length: 46 }, (_, i) => `sw-t${String(i).padStart(2, '0')}`),
  'acme',
  'acme-corp',
  'a10',
  'a100',
];

beforeAll(async () => {
  stack = await startStack();
  for (const key of COMPONENTS) await putEntry(key, componentPaths(key));
  await putEntry(PLAIN);
  for (const [i, slug] of SLUGS.entries()) {
    const { active, entitled } = plan(i);
    const res = await stack.request('POST', '/v1/tenants', {
      body: { slug, name: `Tenant ${slug}`, active_components: active },
    });
    expect(res.status).toBe(201);
    const id: string = res.body.tenant.id;
    for (const product of entitled) await grant(id, product);
    // A revoked entitlement adds nothing.
    const unused = COMPONENTS.find((c) => !active.includes(c) && !entitled.includes(c));
    if (i % 4 === 1 && unused) {
      await grant(id, unused);
      await revoke(id, unused);
    }
    tenants.push({
      id,
      slug,
      key: await newKey(id),
      components: [...active, ...entitled].filter((c) => c !== PLAIN),
    });
  }
}, 180_000);

afterAll(async () => {
  await app.apiKeys().settled();
  await stack?.close();
  console.log(`tenant swagger: ${validated} documents validated as OpenAPI 3.1`);
});

describe('fifty tenants, fifty documents', () => {
  test('each is valid OpenAPI 3.1 and holds exactly its own paths, nothing of any other tenant', async () => {
    const distinct = new Set<string>();
    for (const t of tenants) {
      const { document, paths } = await swagger(t.key, `/${t.slug}/swagger`);
      expect(paths).toEqual(expectedPaths(t.slug, t.components));
      expectTenantPlaneOperations(document, t.slug);
      const text = JSON.stringify(document);
      // No operator or service route, and no path left unnamed.
      expect(paths.filter((p) => p.split('/').includes('v1') || p.includes('{tenant}'))).toEqual([]);
      expect(paths.every((p) => p === `/${t.slug}` || p.startsWith(`/${t.slug}/`))).toBe(true);
      expect(nonLocalReferences(document)).toEqual([]);
      for (const other of tenants) {
        if (other === t) continue;
        expect(text).not.toContain(other.id);
        if (namesSlug(text, other.slug)) throw new Error(`${t.slug}'s document names ${other.slug}`);
      }
      // Components not in use leave no trace, in paths or operation ids.
      for (const c of COMPONENTS.filter((c) => !t.components.includes(c))) {
        expect(text).not.toContain(`"${camel(c)}`);
      }
      distinct.add(JSON.stringify([...paths].map((p) => p.slice(t.slug.length + 1))));
    }
    // The tenants really differ: many distinct sets of paths.
    expect(distinct.size).toBeGreaterThanOrEqual(30);
  }, 120_000);
});

describe('regenerated when what it is built from changes', () => {
  const fixture = (slug: string) => tenants.find((t) => t.slug === slug) as Fixture;

  test('unchanged: the same document and the same ETag', async () => {
    const t = fixture('sw-t05');
    const first = await swagger(t.key, `/${t.slug}/swagger`);
    const second = await swagger(t.key, `/${t.slug}/swagger`);
    expect(second.etag).toBe(first.etag);
    expect(second.document).toEqual(first.document);
  });

  test('PATCH active_components: the next fetch shows the new paths, with a new ETag', async () => {
    const t = fixture('sw-t00'); // no components
    const before = await swagger(t.key, `/${t.slug}/swagger`);
    expect(before.paths).toEqual(expectedPaths(t.slug, []));
    const patched = await stack.request('PATCH', `/v1/tenants/${t.id}`, {
      body: { active_components: ['cmp-crm', 'cmp-root'] },
    });
    expect(patched.status).toBe(200);
    const after = await swagger(t.key, `/${t.slug}/swagger`);
    expect(after.paths).toEqual(expectedPaths(t.slug, ['cmp-crm', 'cmp-root']));
    expect(after.etag).not.toBe(before.etag);
    // And back.
    expect(
      (await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { active_components: [] } })).status,
    ).toBe(200);
    const reverted = await swagger(t.key, `/${t.slug}/swagger`);
    expect(reverted.paths).toEqual(expectedPaths(t.slug, []));
    expect(new Set([before.etag, after.etag, reverted.etag]).size).toBe(3);
  });

  test('an entitlement granted, then revoked', async () => {
    const t = fixture('sw-t01'); // cmp-billing, by entitlement
    expect(t.components).toEqual(['cmp-billing']);
    const before = await swagger(t.key, `/${t.slug}/swagger`);
    await grant(t.id, 'cmp-hr');
    const granted = await swagger(t.key, `/${t.slug}/swagger`);
    expect(granted.paths).toEqual(expectedPaths(t.slug, ['cmp-billing', 'cmp-hr']));
    expect(granted.etag).not.toBe(before.etag);
    await revoke(t.id, 'cmp-hr');
    const revoked = await swagger(t.key, `/${t.slug}/swagger`);
    expect(revoked.paths).toEqual(expectedPaths(t.slug, ['cmp-billing']));
    expect(revoked.etag).not.toBe(granted.etag);
  });

  test("a used catalog entry's paths change", async () => {
    const users = tenants.filter((t) => t.components.includes('cmp-reports'));
    const bystander = tenants.find(
      (t) => t.components.length > 0 && !t.components.includes('cmp-reports'),
    ) as Fixture;
    expect(users.length).toBeGreaterThan(0);
    const [user] = users as [Fixture];
    const before = await swagger(user.key, `/${user.slug}/swagger`);
    const other = await swagger(bystander.key, `/${bystander.slug}/swagger`);
    await putEntry('cmp-reports', componentPaths('cmp-reports', 2));
    try {
      const after = await swagger(user.key, `/${user.slug}/swagger`);
      expect(after.etag).not.toBe(before.etag);
      expect(after.paths).toContain(`/${user.slug}/reports/v2/export`);
      expect(after.paths).toEqual(
        [
          ...expectedPaths(
            user.slug,
            user.components.filter((c) => c !== 'cmp-reports'),
          ),
          ...expectedComponentPaths('cmp-reports', user.slug, 2),
        ].sort(),
      );
      // A tenant that does not use the entry keeps its document and its ETag.
      const unchanged = await swagger(bystander.key, `/${bystander.slug}/swagger`);
      expect(unchanged.etag).toBe(other.etag);
    } finally {
      await putEntry('cmp-reports', componentPaths('cmp-reports'));
    }
  });
});

describe('references stay inside the document', () => {
  test('a catalog entry with a non-local $ref at any depth is 400 naming where; the document has none', async () => {
    const t = tenants.find((x) => x.slug === 'sw-t05') as Fixture;
    const local = {
      '/local/things': {
        get: {
          operationId: 'localThings',
          responses: {
            '200': {
              description: 'OK',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            '400': { $ref: '#/components/responses/BadRequest' },
          },
        },
      },
    };
    await putEntry('cmp-refs', local);
    expect(
      (await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { active_components: ['cmp-refs'] } }))
        .status,
    ).toBe(200);
    for (const [paths, where] of [
      [{ '/x': { $ref: 'http://evil/x.json' } }, 'paths["/x"].$ref'],
      [
        { '/x': { get: { responses: { '200': { $ref: 'http://evil/x.json' } } } } },
        'paths["/x"].get.responses["200"].$ref',
      ],
      [
        {
          '/x': {
            get: {
              responses: {
                '200': {
                  description: 'OK',
                  content: {
                    'application/json': {
                      schema: { properties: { a: { items: { $ref: 'http://evil/x.json' } } } },
                    },
                  },
                },
              },
            },
          },
        },
        'paths["/x"].get.responses["200"].content["application/json"].schema.properties.a.items.$ref',
      ],
    ] as const) {
      const res = await stack.request('PUT', '/v1/catalog/cmp-refs', {
        body: { name: 'refs', description: 'refs', plans_required: [], supports_trial: false, paths },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_input');
      expect(res.body.message).toBe(
        `body.paths ${where}: a reference must be local to the document (#/...), not "http://evil/x.json"`,
      );
    }
    const { document, paths } = await swagger(t.key, `/${t.slug}/swagger`);
    expect(paths).toContain(`/${t.slug}/local/things`);
    expect(nonLocalReferences(document)).toEqual([]);
    expect(JSON.stringify(document)).not.toContain('evil');
  });
});

describe('named as the request named it', () => {
  test('in any case: every path under the name folded to lower case', async () => {
    const t = tenants.find((x) => x.slug === 'acme-corp') as Fixture;
    const upper = await swagger(t.key, '/ACME-CORP/swagger');
    expect(upper.paths).toEqual(expectedPaths('acme-corp', t.components));
    const byId = await swagger(t.key, `/${t.id.toUpperCase()}/swagger`);
    expect(byId.paths).toEqual(expectedPaths(t.id, t.components));
  });

  test('by alias: every path under the alias', async () => {
    const t = tenants.find((x) => x.slug === 'sw-t07') as Fixture;
    const added = await stack.request('POST', `/v1/tenants/${t.id}/aliases`, { body: { slug: 'sw-legacy' } });
    expect(added.status).toBe(201);
    const bySlug = await swagger(t.key, `/${t.slug}/swagger`);
    const byAlias = await swagger(t.key, '/sw-legacy/swagger');
    expect(byAlias.paths).toEqual(expectedPaths('sw-legacy', t.components));
    expectTenantPlaneOperations(byAlias.document, 'sw-legacy');
    expect(byAlias.etag).not.toBe(bySlug.etag);
    const byId = await swagger(t.key, `/${t.id}/swagger`);
    expect(byId.paths).toEqual(expectedPaths(t.id, t.components));
  });

  test('/tenant/swagger with X-Tenant-ID: under the name the header gave', async () => {
    const t = tenants.find((x) => x.slug === 'acme-corp') as Fixture;
    const viaHeader = await swagger(t.key, '/tenant/swagger', { 'x-tenant-id': 'acme-corp' });
    expect(viaHeader.paths).toEqual(expectedPaths('acme-corp', t.components));
    expect(viaHeader.paths.some((p) => p.startsWith('/tenant/'))).toBe(false);
    const viaHeaderId = await swagger(t.key, '/tenant/swagger', { 'X-Tenant-ID': t.id });
    expect(viaHeaderId.paths).toEqual(expectedPaths(t.id, t.components));
    const viaQuery = await swagger(t.key, '/tenant/swagger?tenant_id=acme-corp');
    expect(viaQuery.paths).toEqual(expectedPaths('acme-corp', t.components));
  });

  test('no global document: /swagger is an unknown route, with a tenant key or the admin token', async () => {
    const t = tenants[0] as Fixture;
    for (const res of [
      await fetchAs(t.key, '/swagger'),
      await stack.request('GET', '/swagger'),
      await stack.request('GET', '/swagger', { token: null }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.text).toBe(UNKNOWN_ROUTE_BODY);
    }
    // `swagger` is reserved: it names no tenant either.
    const reserved = await fetchAs(t.key, '/swagger/swagger');
    expect(reserved.status).toBe(404);
    expect(reserved.text).toBe(UNKNOWN_ROUTE_BODY);
  });

  test("another tenant's document is 403, whether by its slug, its id or the header", async () => {
    const [a, b] = tenants as [Fixture, Fixture];
    for (const [path, headers] of [
      [`/${b.slug}/swagger`, {}],
      [`/${b.id}/swagger`, {}],
      ['/tenant/swagger', { 'x-tenant-id': b.slug }],
    ] as const) {
      const res = await fetchAs(a.key, path, headers);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(b.slug);
    }
  });
});
