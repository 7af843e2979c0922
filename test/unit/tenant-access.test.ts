import type { ApiKey, Scope } from '../../shared/domain/api-key';
import type { Tenant } from '../../shared/domain/tenant';
import { CredentialRejectedError, TenantAccess } from '../../shared/services/tenant-access';

/** The order of TenantAccess's checks, with in-memory stand-ins that count what is read. */

const A = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
const B = '7f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
const key = (tenant_id: string, scopes: Scope[] = ['profile:read']): ApiKey => ({
  id: `key-${tenant_id}`,
  tenant_id,
  name: 'k',
  scopes,
  prefix: 'trk_x',
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
});
const tenant = (id: string, slug: string, status: Tenant['status'] = 'active') =>
  ({
    id,
    slug,
    status,
    aliases: [{ slug, primary: true, created_at: '2026-01-01T00:00:00.000Z' }],
  }) as unknown as Tenant;

function setup(options: { allowed?: string[]; tenants?: Tenant[] } = {}) {
  const reads: string[] = [];
  const forgotten: string[] = [];
  const keys = new Map([
    ['key-of-a', key(A, ['profile:read', 'audit:write'])],
    ['key-of-b', key(B)],
  ]);
  const slugs = new Map([
    ['acme', A],
    ['acme-corp', B],
    // A stale cache entry: the alias was removed from A in another container.
    ['acme-old', A],
  ]);
  const tenants = new Map(
    (options.tenants ?? [tenant(A, 'acme'), tenant(B, 'acme-corp')]).map((t) => [t.id, t]),
  );
  const access = new TenantAccess(
    { authenticate: async (k: unknown) => keys.get(k as string) },
    { resolve: async (slug: string) => slugs.get(slug), forget: (slug: string) => void forgotten.push(slug) },
    {
      getTenant: async (id: string) => {
        reads.push(id);
        return tenants.get(id);
      },
    },
    {
      header: 'X-Tenant-ID',
      required: true,
      defaultTenant: undefined,
      allowedTenants: options.allowed ?? [],
    },
  );
  const admit = (
    k: string,
    path: string,
    extra: { header?: string; query?: string; writes?: boolean } = {},
  ) =>
    access.admit({
      key: k,
      scope: 'profile:read',
      writes: extra.writes ?? false,
      path,
      header: extra.header,
      query: extra.query,
    });
  return { admit, reads, forgotten };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'admitted',
    (e: { code: string }) => e.code,
  );

describe('TenantAccess', () => {
  test('admits the key of the named tenant, by slug or UUID, and reads only that tenant', async () => {
    const { admit, reads } = setup();
    expect((await admit('key-of-a', 'acme')).tenant.id).toBe(A);
    expect((await admit('key-of-a', A)).name).toBe(A);
    expect(reads).toEqual([A, A]);
  });

  test('another tenant or a tenant that does not exist: the same 403, and no tenant is read', async () => {
    const { admit, reads } = setup();
    for (const name of ['acme-corp', B, 'nobody', '00000000-0000-4000-8000-000000000000']) {
      const error = await admit('key-of-a', name).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CredentialRejectedError);
      expect((error as CredentialRejectedError).reason).toBe('tenant_mismatch');
    }
    expect(reads).toEqual([]);
  });

  test('the credential comes first: an unknown key is 401 whatever it names', async () => {
    const { admit, reads } = setup();
    expect(await code(admit('stolen', 'acme'))).toBe('unauthorized');
    expect(await code(admit('stolen', 'v1'))).toBe('unauthorized');
    expect(await code(admit('stolen', 'tenant'))).toBe('unauthorized');
    expect(reads).toEqual([]);
  });

  test('naming errors before the tenant match', async () => {
    const { admit } = setup();
    expect(await code(admit('key-of-b', 'v1'))).toBe('not_found');
    expect(await code(admit('key-of-b', 'tenant'))).toBe('tenant_required');
    expect(await code(admit('key-of-b', 'acme', { header: 'acme-corp' }))).toBe('tenant_conflict');
    expect(await code(admit('key-of-a', 'acme', { query: 'nobody' }))).toBe('tenant_conflict');
    expect(await code(admit('key-of-a', 'tenant', { header: 'acme' }))).toBe('admitted');
  });

  test('allowed tenants, by slug or UUID; an entry that resolves to nothing allows nothing', async () => {
    const { admit } = setup({ allowed: ['acme', 'ghost'] });
    expect(await code(admit('key-of-a', A))).toBe('admitted');
    expect(await code(admit('key-of-b', 'acme-corp'))).toBe('tenant_not_allowed');
    expect(await code(admit('key-of-b', 'ghost'))).toBe('tenant_not_allowed');
    expect(await code(setup({ allowed: [B] }).admit('key-of-b', 'acme-corp'))).toBe('admitted');
  });

  test('a slug the cache still maps to the tenant, which no longer holds it: the 403 of another tenant', async () => {
    const { admit, forgotten } = setup();
    const error = await admit('key-of-a', 'acme-old').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialRejectedError);
    expect((error as CredentialRejectedError).reason).toBe('tenant_mismatch');
    expect((error as CredentialRejectedError).code).toBe('forbidden');
    // Named beside the path, it names another tenant than the path: 400.
    expect(await code(admit('key-of-a', 'acme', { header: 'acme-old' }))).toBe('tenant_conflict');
    expect(await code(admit('key-of-a', 'tenant', { header: 'acme-old' }))).toBe('forbidden');
    // Each time, the stale entry is dropped so the next request resolves afresh.
    expect(forgotten).toEqual(['acme-old', 'acme-old', 'acme-old']);
    expect(await code(admit('key-of-a', 'acme'))).toBe('admitted');
  });

  test('scope, then status: frozen reads but does not write; archived is 401', async () => {
    const frozen = setup({ tenants: [tenant(A, 'acme', 'frozen'), tenant(B, 'acme-corp', 'archived')] });
    expect(await code(frozen.admit('key-of-a', 'acme'))).toBe('admitted');
    expect(await code(frozen.admit('key-of-a', 'acme', { writes: true }))).toBe('tenant_frozen');
    expect(await code(frozen.admit('key-of-b', 'acme-corp'))).toBe('unauthorized');
  });
});
