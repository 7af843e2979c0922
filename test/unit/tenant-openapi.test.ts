import fc from 'fast-check';
import { TENANT_COMPONENTS, TENANT_PATHS } from '../../shared/contract/tenant-openapi.generated';
import type { CatalogEntry } from '../../shared/domain/catalog';
import { pathsProblem } from '../../shared/domain/openapi-paths';
import { tenantDocument } from '../../shared/domain/tenant-openapi';

const entry = (key: string, paths: Record<string, unknown>): CatalogEntry => ({
  key,
  name: key,
  description: key,
  plans_required: [],
  supports_trial: false,
  paths,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  version: 1,
});
const op = (operationId: string) => ({ operationId, responses: { '200': { description: 'ok' } } });

const build = (name: string, entries: CatalogEntry[] = []) =>
  tenantDocument({
    name,
    title: 'T',
    version: '1',
    template: TENANT_PATHS,
    components: TENANT_COMPONENTS,
    entries,
  }) as { openapi: string; paths: Record<string, Record<string, { operationId?: string }>> };

describe('tenantDocument', () => {
  test('the tenant plane with {tenant} fixed to the name, and nothing of other planes', () => {
    const doc = build('acme');
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      Object.keys(TENANT_PATHS)
        .map((p) => p.replace('/{tenant}', '/acme'))
        .sort(),
    );
    const text = JSON.stringify(doc);
    expect(text).not.toContain('{tenant}');
    expect(text).not.toContain('/v1/');
    expect(text).not.toContain('adminBearer');
    expect(text).not.toContain('X-Tenant-ID');
  });

  test("components' paths join under the same prefix; the first to document a method keeps it", () => {
    const doc = build('acme', [
      entry('customs', { '/customs': { post: op('makeCustoms') }, '/customs/doc': { get: op('getDoc') } }),
      entry('extra', { '/customs': { post: op('other'), get: op('makeCustoms') }, '/': { get: op('root') } }),
    ]);
    expect(doc.paths['/acme/customs']?.post?.operationId).toBe('makeCustoms');
    // The same operationId twice would make the document invalid: the second loses its id.
    expect(doc.paths['/acme/customs']?.get?.operationId).toBeUndefined();
    expect(doc.paths['/acme/customs/doc']?.get?.operationId).toBe('getDoc');
    expect(doc.paths['/acme']?.get?.operationId).toBe('root');
  });

  test('a component fragment holding a non-local reference (stored before the rule) is left out whole', () => {
    const doc = build('acme', [
      entry('bad', {
        '/bad': { get: { ...op('getBad'), responses: { '200': { $ref: 'http://evil/x.json' } } } },
      }),
      entry('good', { '/good': { get: op('getGood') } }),
    ]);
    expect(doc.paths['/acme/bad']).toBeUndefined();
    expect(doc.paths['/acme/good']?.get?.operationId).toBe('getGood');
    expect(JSON.stringify(doc)).not.toContain('evil');
  });

  test('property: whatever a component documents, accepted or stored before the rule, no document holds a non-local reference', () => {
    const target = fc.constantFrom(
      '#/components/schemas/Error',
      '#/components/responses/BadRequest',
      'http://evil/x.json',
      'https://evil.example/a#/b',
      '//evil/x',
      'x.json',
      '#',
      'HTTP://EVIL/',
    );
    const keyword = fc.constantFrom(
      '$ref',
      '$dynamicRef',
      'operationRef',
      'externalValue',
      'type',
      'items',
      'a',
    );
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        target,
        fc.integer(),
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.dictionary(keyword, fc.oneof(target, tie('tree')), { maxKeys: 4 }),
      ),
    }));
    const fragment = fc.record({ schema: tree, extra: tree }).map(({ schema, extra }) => ({
      '/a': {
        get: {
          operationId: 'getA',
          'x-extra': extra,
          responses: { '200': { description: 'ok', content: { 'application/json': { schema } } } },
        },
      },
    }));
    /** Every reference keyword's string value that is not `#/...`, written out apart from the code under test. */
    const external = (node: unknown): string[] =>
      node === null || typeof node !== 'object'
        ? []
        : Object.entries(node).flatMap(([k, v]) =>
            typeof v === 'string' && ['$ref', '$dynamicRef', 'operationRef', 'externalValue'].includes(k)
              ? v.startsWith('#/')
                ? []
                : [v]
              : external(v),
          );
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fragment, (paths) => {
        const problem = pathsProblem(paths);
        if (problem === undefined) accepted++;
        else refused++;
        // Refused exactly when it holds one; and never in a document, whether stored or not.
        expect(problem === undefined).toBe(external(paths).length === 0);
        expect(external(build('acme', [entry('c', paths)]))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
