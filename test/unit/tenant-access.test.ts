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

function setup(
  options: {
    allowed?: string[];
    tenants?: Tenant[];
    required?: boolean;
    defaultTenant?: string;
    /** What the store answers per id, when it is not each tenant under its own id. */
    stored?: Map<string, Tenant>;
  } = {},
) {
  const reads: string[] = [];
  const forgotten: string[] = [];
  const resolved: string[] = [];
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
  const tenants =
    options.stored ??
    new Map((options.tenants ?? [tenant(A, 'acme'), tenant(B, 'acme-corp')]).map((t) => [t.id, t]));
  const access = new TenantAccess(
    { authenticate: async (k: unknown) => keys.get(k as string) },
    {
      resolve: async (slug: string) => {
        resolved.push(slug);
        return slugs.get(slug);
      },
      forget: (slug: string) => void forgotten.push(slug),
    },
    {
      getTenant: async (id: string) => {
        reads.push(id);
        return tenants.get(id);
      },
    },
    {
      header: 'X-Tenant-ID',
      required: options.required ?? true,
      defaultTenant: options.defaultTenant,
      allowedTenants: options.allowed ?? [],
    },
  );
  const admit = (
    k: string,
    path: string,
    extra: { header?: string; query?: string; writes?: boolean; scope?: Scope } = {},
  ) =>
    access.admit({
      key: k,
      scope: extra.scope ?? 'profile:read',
      writes: extra.writes ?? false,
      path,
      header: extra.header,
      query: extra.query,
    });
  return { admit, reads, forgotten, resolved };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'admitted',
    (e: { code: string }) => e.code,
  );

/** What the caller is told: the error's code and message (the HTTP layer sends both). */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'admitted', message: '' }),
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
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
    // Asked only of the key's own tenant: any other name is the 403 of another tenant first.
    expect(await code(admit('key-of-b', 'ghost'))).toBe('forbidden');
    expect(await code(admit('key-of-b', 'acme'))).toBe('forbidden');
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

describe('TenantAccess: what callers are told', () => {
  test('a key without the operation’s scope: 403 scope_missing naming the scope, and no tenant is read', async () => {
    const { admit, reads } = setup();
    // key-of-b holds profile:read only; key-of-a also holds audit:write.
    expect(await refusal(admit('key-of-b', 'acme-corp', { scope: 'audit:read' }))).toEqual({
      code: 'scope_missing',
      message: 'the API key lacks the scope audit:read',
    });
    expect(await code(admit('key-of-b', 'acme-corp', { scope: 'keys:manage' }))).toBe('scope_missing');
    expect(await code(admit('key-of-a', 'acme', { scope: 'keys:manage' }))).toBe('scope_missing');
    expect(reads).toEqual([]);
    expect(await code(admit('key-of-a', 'acme', { scope: 'audit:write' }))).toBe('admitted');
    expect(reads).toEqual([A]);
  });

  test('the scope is checked after the tenant match: another tenant’s name is 403 forbidden, not scope_missing', async () => {
    const { admit } = setup();
    expect(await code(admit('key-of-b', 'acme', { scope: 'audit:read' }))).toBe('forbidden');
  });

  test('an unknown key: 401 unauthorized, reason invalid_credential, no key id', async () => {
    const error = await setup()
      .admit('stolen', 'acme')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialRejectedError);
    expect(error).toMatchObject({
      code: 'unauthorized',
      reason: 'invalid_credential',
      message: 'the API key is not valid',
    });
    expect((error as CredentialRejectedError).keyId).toBeUndefined();
  });

  test('another tenant: 403 forbidden, reason tenant_mismatch, with the caller’s key id for the log', async () => {
    const error = await setup()
      .admit('key-of-a', 'acme-corp')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'forbidden',
      reason: 'tenant_mismatch',
      keyId: `key-${A}`,
      message: 'the API key does not belong to the tenant named in the request',
    });
  });

  test('naming errors say what to send, naming the header', async () => {
    const { admit } = setup();
    const missing = await refusal(admit('key-of-a', 'tenant'));
    expect(missing.code).toBe('tenant_required');
    expect(missing.message).toMatch(/X-Tenant-ID header or the tenant_id query parameter/);
    const malformed = await refusal(admit('key-of-a', 'tenant', { header: 'no spaces allowed' }));
    expect(malformed).toEqual({
      code: 'invalid_input',
      message: 'the X-Tenant-ID header must be a tenant slug or UUID',
    });
    expect(await refusal(admit('key-of-a', 'v1'))).toEqual({ code: 'not_found', message: 'no such route' });
    const conflict = await refusal(admit('key-of-a', 'acme', { query: 'acme-corp' }));
    expect(conflict.code).toBe('tenant_conflict');
    expect(conflict.message).toMatch(/the path and the X-Tenant-ID header or tenant_id query parameter/);
  });

  test('a path and a header naming the same tenant (slug, alias or UUID) agree', async () => {
    const { admit } = setup();
    expect(await code(admit('key-of-a', 'acme', { header: A }))).toBe('admitted');
    expect(await code(admit('key-of-a', A, { header: 'acme', query: 'acme' }))).toBe('admitted');
    expect(await code(admit('key-of-a', 'acme', { header: 'acme', query: 'acme-corp' }))).toBe(
      'tenant_conflict',
    );
  });

  test('a header or query naming another tenant: 400 tenant_conflict before the scope, and no tenant is read', async () => {
    const { admit, reads } = setup();
    // key-of-a lacks keys:manage: the conflict is still what the caller is told.
    for (const extra of [{ header: 'acme-corp' }, { query: B }, { header: 'acme', query: 'acme-corp' }]) {
      expect(await code(admit('key-of-a', 'acme', { ...extra, scope: 'keys:manage' }))).toBe(
        'tenant_conflict',
      );
    }
    expect(reads).toEqual([]);
  });

  test("names that are none of them the key's tenant: 403 forbidden whether they exist or not (no existence oracle)", async () => {
    const { admit } = setup();
    expect(await code(admit('key-of-a', 'nobody', { header: 'nobody' }))).toBe('forbidden');
    expect(await code(admit('key-of-a', 'nobody', { query: 'ghost' }))).toBe('forbidden');
    expect(await code(admit('key-of-a', 'acme-corp', { header: 'acme-corp' }))).toBe('forbidden');
  });

  test('any active alias of the tenant names it; a retired one does not, and is dropped from the cache', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    const acme = {
      id: A,
      slug: 'acme',
      status: 'active',
      aliases: [
        { slug: 'acme', primary: true, created_at: at },
        { slug: 'acme-old', primary: false, created_at: at, retired_at: at, quarantine_until: at },
        { slug: 'acme-eu', primary: false, created_at: at },
      ],
    } as unknown as Tenant;
    const { admit, forgotten } = setup({ tenants: [acme] });
    // The cache still maps acme-old to A; the tenant read says it is retired.
    expect(await code(admit('key-of-a', 'acme-old'))).toBe('forbidden');
    expect(forgotten).toEqual(['acme-old']);
    expect((await admit('key-of-a', 'acme')).name).toBe('acme');
    expect(await code(admit('key-of-a', 'acme', { header: 'acme-old' }))).toBe('tenant_conflict');
    expect(forgotten).toEqual(['acme-old', 'acme-old']);
  });

  test('a UUID names only the tenant with that id: a record read under another id does not hold it', async () => {
    // A store answering A's key with B's record (it cannot happen with a consistent table).
    const { admit } = setup({ stored: new Map([[A, tenant(B, 'acme')]]) });
    expect(await code(admit('key-of-a', A))).toBe('forbidden');
    expect(await code(admit('key-of-a', 'acme', { header: A }))).toBe('tenant_conflict');
    expect(await code(admit('key-of-a', 'acme'))).toBe('admitted');
  });

  test('allowed tenants: 403 tenant_not_allowed with a message that names no tenant', async () => {
    const { admit } = setup({ allowed: ['acme'] });
    const refused = await refusal(admit('key-of-b', 'acme-corp'));
    expect(refused).toEqual({
      code: 'tenant_not_allowed',
      message: 'this deployment does not serve the named tenant',
    });
  });

  test('allowed tenants given by UUID are never looked up as slugs', async () => {
    const { admit, resolved } = setup({ allowed: [B, 'acme'] });
    expect(await code(admit('key-of-b', B))).toBe('admitted');
    expect(await code(admit('key-of-a', A))).toBe('admitted');
    expect(resolved).toEqual(['acme']);
  });

  test('an active tenant reads and writes', async () => {
    const { admit } = setup();
    expect(await code(admit('key-of-a', 'acme', { writes: true, scope: 'audit:write' }))).toBe('admitted');
    expect(await code(admit('key-of-b', 'acme-corp', { writes: true }))).toBe('admitted');
  });

  test('a frozen tenant: writes are 403 tenant_frozen, saying it can still read', async () => {
    const { admit } = setup({ tenants: [tenant(A, 'acme', 'frozen')] });
    expect(await refusal(admit('key-of-a', 'acme', { writes: true }))).toEqual({
      code: 'tenant_frozen',
      message: 'the tenant is frozen: it can read but not change anything',
    });
  });

  test('a tenant that is gone (the key outlived it) is 401 like an archived one', async () => {
    const { admit } = setup({ tenants: [tenant(B, 'acme-corp')] });
    expect(await code(admit('key-of-a', 'acme'))).toBe('unauthorized');
  });

  test('nothing named and nothing required: the key’s own tenant, by its primary slug', async () => {
    const { admit, resolved } = setup({ required: false });
    const caller = await admit('key-of-b', 'tenant');
    expect(caller.tenant.id).toBe(B);
    expect(caller.key.id).toBe(`key-${B}`);
    expect(caller.name).toBe('acme-corp');
    expect(resolved).toEqual([]);
  });

  test('nothing named and a default tenant: the default, checked like any named tenant', async () => {
    const { admit } = setup({ required: false, defaultTenant: 'acme' });
    const caller = await admit('key-of-a', 'tenant');
    expect(caller.tenant.id).toBe(A);
    expect(caller.name).toBe('acme');
    expect(await code(admit('key-of-b', 'tenant'))).toBe('forbidden');
  });

  test('the name the request used is kept: alias, slug or UUID, as sent', async () => {
    const { admit } = setup();
    expect((await admit('key-of-a', 'tenant', { header: ' ACME ' })).name).toBe('acme');
    expect((await admit('key-of-a', 'tenant', { query: A })).name).toBe(A);
  });
});

describe('TenantAccess: a name of another tenant and a name of no tenant get the same answer', () => {
  // Issue: path and header both naming X answered 400 tenant_conflict when X did not exist and
  // 403 when it did. For every way of sending names, X existing (acme-corp, or its UUID) and X
  // not existing must be told apart by nothing: same code, same message.
  const forms: [string, (x: string) => { path: string; header?: string; query?: string }][] = [
    ['path', (x) => ({ path: x })],
    ['header', (x) => ({ path: 'tenant', header: x })],
    ['query', (x) => ({ path: 'tenant', query: x })],
    ['header and query', (x) => ({ path: 'tenant', header: x, query: x })],
    ['path and header', (x) => ({ path: x, header: x })],
    ['path and query', (x) => ({ path: x, query: x })],
    ['path, header and query', (x) => ({ path: x, header: x, query: x })],
    ['path, own header', (x) => ({ path: x, header: 'acme' })],
    ['own path, header', (x) => ({ path: 'acme', header: x })],
    ['own path, query', (x) => ({ path: 'acme', query: x })],
    ['own path and header, query', (x) => ({ path: 'acme', header: A, query: x })],
  ];
  const pairs: [string, string][] = [
    ['acme-corp', 'nobody'],
    [B, '00000000-0000-4000-8000-000000000000'],
  ];
  const settings: [string, Parameters<typeof setup>[0]][] = [
    ['all tenants served', {}],
    ['allowed tenants configured', { allowed: ['acme', 'acme-corp'] }],
    ['allowed tenants exclude the other', { allowed: ['acme'] }],
  ];

  test.each(settings)('%s', async (_, options) => {
    for (const [form, names] of forms) {
      for (const [existing, missing] of pairs) {
        const { admit, reads } = setup(options);
        const ask = (x: string) => {
          const { path, ...extra } = names(x);
          return refusal(admit('key-of-a', path, extra));
        };
        const [seen, unseen] = [await ask(existing), await ask(missing)];
        expect([form, existing, seen]).toEqual([form, existing, unseen]);
        expect([form, seen.code]).not.toEqual([form, 'admitted']);
        // Refused from names alone when no name is the key's tenant: nothing was read.
        if (!form.includes('own')) expect([form, reads]).toEqual([form, []]);
      }
    }
  });

  test('the answers themselves: none of the names is the key’s tenant 403, some are 400', async () => {
    const { admit } = setup();
    expect(await refusal(admit('key-of-a', 'nobody', { header: 'nobody' }))).toEqual({
      code: 'forbidden',
      message: 'the API key does not belong to the tenant named in the request',
    });
    expect(await code(admit('key-of-a', 'acme-corp', { header: 'nobody' }))).toBe('forbidden');
    expect(await code(admit('key-of-a', 'nobody', { header: 'acme' }))).toBe('tenant_conflict');
    expect(await code(admit('key-of-a', 'acme-corp', { query: A }))).toBe('tenant_conflict');
  });
});
