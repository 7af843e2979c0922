import { TENANT_COMPONENTS, TENANT_PATHS } from '../../shared/contract/tenant-openapi.generated';
import type { CatalogEntry } from '../../shared/domain/catalog';
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
});
