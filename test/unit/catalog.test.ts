import {
  activeProducts,
  type CatalogEntry,
  type Entitlement,
  entitlementView,
  granted,
  isEntitled,
  revoked,
  trialEntitlement,
  trialRefusal,
} from '../../shared/domain/catalog';
import { externalReference, pathsProblem } from '../../shared/domain/openapi-paths';
import { newTenant, type Tenant } from '../../shared/domain/tenant';

const now = new Date('2030-01-01T00:00:00.000Z');
const tenant = (extra: Partial<Tenant> = {}): Tenant => ({
  ...newTenant('0b7e3d4a-1c2b-4d5e-8f90-123456789abc', { slug: 'acme', name: 'Acme' }, now),
  ...extra,
});
const entry = (extra: Partial<CatalogEntry> = {}): CatalogEntry => ({
  key: 'orders',
  name: 'Orders',
  description: '',
  plans_required: [],
  supports_trial: true,
  created_at: now.toISOString(),
  updated_at: now.toISOString(),
  version: 1,
  ...extra,
});
const ent = (extra: Partial<Entitlement> = {}): Entitlement => ({
  ...granted('t', 'orders', {}, undefined, now),
  ...extra,
});

describe('entitlements', () => {
  test('an entitlement holds until the instant of its expiry, not at it', () => {
    const e = ent({ expires_at: '2030-01-02T00:00:00.000Z' });
    expect(isEntitled(e, new Date('2030-01-01T23:59:59.999Z'))).toBe(true);
    expect(isEntitled(e, new Date('2030-01-02T00:00:00.000Z'))).toBe(false);
    expect(entitlementView(e, new Date('2030-01-02T00:00:00.000Z')).enabled).toBe(false);
    expect(isEntitled(ent({ expires_at: null }), new Date('2999-01-01T00:00:00Z'))).toBe(true);
    expect(isEntitled(revoked(ent(), now), now)).toBe(false);
  });

  test('a grant keeps what it does not name and always ends a trial', () => {
    const trial = trialEntitlement('t', 'orders', undefined, now);
    expect(trial.expires_at).toBe('2030-01-15T00:00:00.000Z');
    const later = new Date('2030-01-05T00:00:00.000Z');
    const paid = granted('t', 'orders', { config: { seats: 3 } }, trial, later);
    expect(paid).toMatchObject({ trial: false, enabled: true, config: { seats: 3 }, version: 2 });
    expect(paid.created_at).toBe(trial.created_at);
    expect(paid.expires_at).toBe(trial.expires_at);
    expect(granted('t', 'orders', { expires_at: null }, paid, later)).toMatchObject({
      expires_at: null,
      config: { seats: 3 },
    });
  });

  test('products: live entitlements, sorted; none at all for frozen or archived tenants', () => {
    const list = [
      ent({ product: 'zeta' }),
      ent({ product: 'alpha' }),
      ent({ product: 'gone', expires_at: now.toISOString() }),
      revoked(ent({ product: 'off' }), now),
    ];
    expect(activeProducts(tenant(), list, now)).toEqual(['alpha', 'zeta']);
    expect(activeProducts(tenant({ status: 'active' }), list, now)).toEqual(['alpha', 'zeta']);
    expect(activeProducts(tenant({ status: 'frozen' }), list, now)).toEqual([]);
    expect(activeProducts(tenant({ status: 'archived' }), list, now)).toEqual([]);
  });

  test('trial refusals, in order: tenant state, trial support, plan', () => {
    expect(trialRefusal(tenant(), entry())).toBeUndefined();
    expect(trialRefusal(tenant({ status: 'frozen' }), entry({ supports_trial: false }))?.code).toBe(
      'tenant_inactive',
    );
    expect(trialRefusal(tenant({ status: 'archived' }), entry())?.code).toBe('tenant_inactive');
    expect(trialRefusal(tenant(), entry({ supports_trial: false }))?.code).toBe('trial_unavailable');
    expect(trialRefusal(tenant(), entry({ plans_required: ['business'] }))?.code).toBe('plan_not_eligible');
    expect(
      trialRefusal(tenant({ plan: 'business' }), entry({ plans_required: ['business'] })),
    ).toBeUndefined();
  });
});

describe('OpenAPI paths', () => {
  const ok = { '200': { description: 'ok' } };
  test.each([
    [{}],
    [{ '/': { get: { responses: ok } } }],
    // `/a` and `/a/` are distinct paths in OpenAPI: both may be documented.
    [{ '/a': { get: { responses: ok } }, '/a/': { get: { responses: ok } } }],
    [{ '/a/{id}/b': { get: { responses: { default: { $ref: '#/r' } } } } }],
    [{ '/a': { $ref: '#/components/pathItems/a' } }],
    [{ '/a': { get: { responses: ok, 'x-any': { constructor: 1 } } }, 'x-top': [] }],
    [{ '/a': { post: { requestBody: { content: {} }, responses: { '2XX': { description: '' } } } } }],
    [
      {
        '/a': {
          get: { parameters: [{ $ref: '#/p' }, { name: 'q', in: 'query', content: {} }], responses: ok },
        },
      },
    ],
  ])('accepts %j', (paths) => {
    expect(pathsProblem(paths)).toBeUndefined();
  });

  test.each([
    [null, 'paths object'],
    [[], 'paths object'],
    [{ '/a//b': { get: { responses: ok } } }, 'path template'],
    [{ '/a/{}': { get: { responses: ok } } }, 'path template'],
    [{ '/a/{x}/{x}': { get: { responses: ok } } }, 'repeats'],
    [{ '/a/../b': { get: { responses: ok } } }, 'path template'],
    [{ '/a': { get: { responses: ok, deprecated: 'yes' } } }, 'boolean'],
    [{ '/a': { get: { responses: ok, tags: [1] } } }, 'tags'],
    [{ '/a': { get: { responses: ok, requestBody: {} } } }, 'content'],
    [{ '/a': { get: { responses: { '600': { description: 'x' } } } } }, 'status code'],
    [{ '/a': { get: { responses: { '200': { description: 'x', content: [] } } } } }, 'content'],
    [{ '/a': { get: { responses: ok, parameters: [{ name: 'q', in: 'query' }] } } }, 'schema or content'],
    [
      {
        '/a': {
          get: {
            responses: ok,
            parameters: [
              { name: 'q', in: 'query', schema: {} },
              { name: 'q', in: 'query', schema: {} },
            ],
          },
        },
      },
      'repeats',
    ],
    [{ '/a': { get: { responses: ok, x: JSON.parse('{"__proto__": {}}') } } }, '__proto__'],
    [{ '/audit/x': { get: { responses: ok } } }, 'tenant plane'],
  ])('refuses %j', (paths, words) => {
    expect(pathsProblem(paths)).toContain(words);
  });

  test('depth is bounded', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(pathsProblem({ '/a': { get: { responses: ok, 'x-deep': deep } } })).toContain('deeper');
  });
});

describe('OpenAPI paths: references stay inside the document', () => {
  const ok = { '200': { description: 'ok' } };
  const schemaAt = (schema: unknown) => ({
    '/a': {
      get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema } } } } },
    },
  });

  test.each([
    [{ '/a': { $ref: '#/components/pathItems/a' } }],
    [schemaAt({ $ref: '#/components/schemas/Thing' })],
    [schemaAt({ type: 'object', properties: { $ref: { type: 'string' } } })], // a property named $ref
    [schemaAt({ items: { items: { items: { $ref: '#/components/schemas/Deep' } } } })],
  ])('accepts local references and properties named like them: %j', (paths) => {
    expect(pathsProblem(paths)).toBeUndefined();
  });

  test.each([
    [{ '/a': { $ref: 'http://evil/x.json' } }, 'paths["/a"].$ref', 'http://evil/x.json'],
    [
      { '/a': { get: { responses: { '200': { $ref: 'https://evil.example/r.json#/x' } } } } },
      'paths["/a"].get.responses["200"].$ref',
      'https://evil.example/r.json#/x',
    ],
    [
      schemaAt({ type: 'object', properties: { p: { allOf: [{ $ref: 'other.yaml#/S' }] } } }),
      'paths["/a"].get.responses["200"].content["application/json"].schema.properties.p.allOf[0].$ref',
      'other.yaml#/S',
    ],
    [
      { '/a': { get: { parameters: [{ $ref: '//evil/p' }], responses: ok } } },
      'paths["/a"].get.parameters[0].$ref',
      '//evil/p',
    ],
    [
      schemaAt({ $ref: '#' }),
      'paths["/a"].get.responses["200"].content["application/json"].schema.$ref',
      '#',
    ],
    [
      schemaAt({ $ref: 'x.json' }),
      'paths["/a"].get.responses["200"].content["application/json"].schema.$ref',
      'x.json',
    ],
    [
      schemaAt({ $dynamicRef: 'http://evil/meta' }),
      'paths["/a"].get.responses["200"].content["application/json"].schema.$dynamicRef',
      'http://evil/meta',
    ],
    [
      {
        '/a': {
          get: {
            responses: {
              '200': {
                description: 'ok',
                links: { next: { operationRef: 'http://evil/openapi.json#/paths/~1x/get' } },
              },
            },
          },
        },
      },
      'paths["/a"].get.responses["200"].links.next.operationRef',
      'http://evil/openapi.json#/paths/~1x/get',
    ],
    [
      {
        '/a': {
          get: {
            responses: ok,
            parameters: [
              {
                name: 'q',
                in: 'query',
                schema: {},
                examples: { e: { externalValue: 'http://evil/e.json' } },
              },
            ],
          },
        },
      },
      'paths["/a"].get.parameters[0].examples.e.externalValue',
      'http://evil/e.json',
    ],
    [
      { '/a': { get: { responses: ok, 'x-ext': { deep: [{ $ref: 'http://evil/x' }] } } } },
      'paths["/a"].get["x-ext"].deep[0].$ref',
      'http://evil/x',
    ],
  ])('refuses %j, naming where', (paths, where, target) => {
    expect(pathsProblem(paths)).toBe(
      `${where}: a reference must be local to the document (#/...), not ${JSON.stringify(target)}`,
    );
  });

  test('$id would make even #/... references resolve elsewhere', () => {
    expect(pathsProblem(schemaAt({ $id: 'http://evil/', $ref: '#/x' }))).toBe(
      'paths["/a"].get.responses["200"].content["application/json"].schema.$id: $id would resolve references against another document',
    );
  });

  test('externalReference walks any value, whatever its shape', () => {
    expect(externalReference({ a: [{ b: { $ref: '#/ok' } }] })).toBeUndefined();
    expect(externalReference({ a: [{ b: { $ref: 'http://evil' } }] }, 'x')).toBe(
      'x.a[0].b.$ref: a reference must be local to the document (#/...), not "http://evil"',
    );
    expect(externalReference('http://evil')).toBeUndefined();
  });
});
