import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { AuditEvent } from '../../shared/domain/audit';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { type Inspector, inspect } from '../support/inspect';
import {
  type KeycloakStub,
  type StubFault,
  type StubStep,
  startKeycloakStub,
} from '../support/keycloak-stub';
import { startStack, type TestStack } from '../support/stack';

/**
 * Keycloak organization provisioning on create, against an in-process stub Keycloak: the
 * requests the adapter sends, what a create answers, what the audit chain records, and that
 * no failure ever undoes a tenant or leaks a credential.
 */

let stack: TestStack;
let kc: KeycloakStub;
let db: Inspector;

const keycloakEnv = (extra: Record<string, string> = {}) => ({
  TENANT_REGISTRY_KEYCLOAK_URL: kc.url,
  TENANT_REGISTRY_KEYCLOAK_REALM: kc.realm,
  TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: kc.clientId,
  TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: kc.clientSecret,
  ...extra,
});

beforeAll(async () => {
  kc = await startKeycloakStub();
  stack = await startStack();
  db = inspect(stack);
});
afterAll(async () => {
  await stack.close();
  await kc.close();
});
beforeEach(() => {
  kc.reset();
  stack.configure(keycloakEnv());
});

const ADMIN = { admin_email: 'Ops.Lead@example.com', admin_name: 'Olivia Lead' };

async function create(extra: Record<string, unknown> = ADMIN, headers: Record<string, string> = {}) {
  const slug = uniqueSlug('kc');
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug, extra), headers });
  expect(res.status).toBe(201);
  return { slug, res, tenant: res.body.tenant as { id: string; slug: string; name: string } };
}

const keycloakEvents = (events: readonly AuditEvent[]) =>
  events.filter((e) => e.action.startsWith('keycloak.'));

/** Nothing the stub treats as a credential appears in any log line, event or response. */
function expectNoCredentialIn(texts: readonly string[]) {
  const secrets = [kc.clientSecret, ...kc.issuedTokens];
  for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('success', () => {
  test('creates the organization, invites the admin and answers invite_url', async () => {
    const { slug, res, tenant } = await create();
    expect(res.body.invite_url).toBe(`${kc.url}/realms/${kc.realm}/account`);

    expect(kc.requests.map((r) => r.step)).toEqual(['token', 'organization', 'invite']);
    const [token, org, invite] = kc.requests;
    expect(token?.fields).toEqual({
      grant_type: 'client_credentials',
      client_id: kc.clientId,
      client_secret: kc.clientSecret,
    });
    expect(org?.fields).toEqual({
      name: tenant.name,
      alias: slug,
      enabled: true,
      attributes: { tenant_id: [tenant.id], it_admin: ['ops.lead@example.com'] },
    });
    expect(org?.headers.authorization).toBe(`Bearer ${kc.issuedTokens.at(-1)}`);
    expect(invite?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(invite?.fields).toEqual({ email: ADMIN.admin_email, firstName: ADMIN.admin_name });
    expect(invite?.headers.authorization).toBe(`Bearer ${kc.issuedTokens.at(-1)}`);
    const [created] = [...kc.organizations.values()];
    expect(invite?.path).toBe(`/admin/realms/${kc.realm}/organizations/${created?.id}/members/invite-user`);

    const events = await db.auditEvents(tenant.id);
    expect(events.map((e) => e.action)).toEqual(['tenant.created', 'keycloak.provisioned']);
    expect(events[1]?.metadata).toMatchObject({ organization_id: created?.id });
    expect(await db.verifyAuditChain(tenant.id)).toMatchObject({ ok: true, checked: 2 });
    // The tenant itself is unchanged by provisioning.
    expect((await db.tenant(tenant.id))?.version).toBe(1);
    expectNoCredentialIn([...stack.logs.lines, JSON.stringify(events), res.text]);
  });

  test('an Idempotency-Key replay returns invite_url too, without calling Keycloak again', async () => {
    const key = `kc-${randomBytes(6).toString('hex')}`;
    const body = tenantBody(uniqueSlug('kc'), ADMIN);
    const first = await stack.request('POST', '/v1/tenants', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(first.body.invite_url).toEqual(expect.any(String));
    const calls = kc.requests.length;
    const replay = await stack.request('POST', '/v1/tenants', { body, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(kc.requests.length).toBe(calls);
  });

  test('each provisioning gets a fresh token and uses it for both admin calls', async () => {
    await create();
    await create();
    const tokens = kc.requests.filter((r) => r.step !== 'token').map((r) => r.headers.authorization);
    expect(tokens).toEqual([
      `Bearer ${kc.issuedTokens.at(-2)}`,
      `Bearer ${kc.issuedTokens.at(-2)}`,
      `Bearer ${kc.issuedTokens.at(-1)}`,
      `Bearer ${kc.issuedTokens.at(-1)}`,
    ]);
  });

  test('invite_url is the realm account console, never a link Keycloak hands back', async () => {
    kc.inviteLocation = () => 'https://evil.example.net/phish';
    const { res } = await create();
    expect(res.body.invite_url).toBe(`${kc.url}/realms/${kc.realm}/account`);
  });

  test('without admin_name the invite carries the email only', async () => {
    await create({ admin_email: 'solo@example.com' });
    expect(kc.requests.find((r) => r.step === 'invite')?.fields).toEqual({ email: 'solo@example.com' });
  });

  test('the client secret can come from Secrets Manager, read once per container', async () => {
    const secretId = `keycloak/${randomBytes(4).toString('hex')}`;
    await stack.secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: kc.clientSecret }));
    stack.configure(
      keycloakEnv({
        TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: '',
        TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: secretId,
      }),
    );
    stack.resetStats();
    const { res } = await create();
    expect(res.body.invite_url).toEqual(expect.any(String));
    expect(kc.requests[0]?.fields.client_secret).toBe(kc.clientSecret);
    const reads = stack.secretsStats().GetSecretValue ?? 0;
    await create();
    // The admin token is cached too, so a second create reads no secret at all.
    expect(stack.secretsStats().GetSecretValue ?? 0).toBe(reads);
  });
});

describe('without provisioning', () => {
  test('a create without admin_email never calls Keycloak', async () => {
    const { res, tenant } = await create({});
    expect(res.body).not.toHaveProperty('invite_url');
    expect(kc.requests).toHaveLength(0);
    expect(keycloakEvents(await db.auditEvents(tenant.id))).toHaveLength(0);
  });

  test('without a Keycloak URL, admin_email is accepted and ignored', async () => {
    stack.configure({});
    const { res, tenant } = await create();
    expect(res.body).not.toHaveProperty('invite_url');
    expect(kc.requests).toHaveLength(0);
    expect((await db.auditEvents(tenant.id)).map((e) => e.action)).toEqual(['tenant.created']);
  });

  test('a malformed or overlong admin_email is a 400 and creates nothing', async () => {
    for (const admin_email of ['not-an-email', 'a@', `${'x'.repeat(250)}@example.com`, 42]) {
      const slug = uniqueSlug('kc');
      const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug, { admin_email }) });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_input' });
      expect(res.body.message).toContain('admin_email');
      expect(await stack.request('GET', `/v1/tenants/by-slug/${slug}`)).toMatchObject({ status: 404 });
    }
    expect(kc.requests).toHaveLength(0);
  });
});

describe('failures leave the tenant created, without invite_url, with one keycloak.provision_failed', () => {
  const cases: { label: string; at: StubStep; fault: StubFault; step: string; reason: RegExp }[] = [
    { label: 'token refused', at: 'token', fault: 401, step: 'token', reason: /answered 401/ },
    { label: 'token endpoint down', at: 'token', fault: 503, step: 'token', reason: /answered 503/ },
    {
      label: 'organization refused',
      at: 'organization',
      fault: 403,
      step: 'organization',
      reason: /answered 403/,
    },
    {
      label: 'organization error',
      at: 'organization',
      fault: 500,
      step: 'organization',
      reason: /answered 500/,
    },
    { label: 'invite error', at: 'invite', fault: 500, step: 'invite', reason: /answered 500/ },
    { label: 'invite conflict', at: 'invite', fault: 409, step: 'invite', reason: /already exists/ },
    {
      label: 'organization timeout',
      at: 'organization',
      fault: 'hang',
      step: 'organization',
      reason: /timed out/,
    },
    { label: 'invite timeout', at: 'invite', fault: 'hang', step: 'invite', reason: /^timed out$/ },
  ];

  test.each(cases)('$label', async ({ at, fault, step, reason }) => {
    stack.configure(keycloakEnv({ TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS: '300' }));
    kc.faults[at] = fault;
    stack.logs.clear();
    const key = `kc-${randomBytes(6).toString('hex')}`;
    // A hung step answers only when the stub closes: that this create answers at all is the
    // timeout at work (no wall-clock bound: tests never fail on timing).
    const { res, tenant } = await create(ADMIN, { 'idempotency-key': key });
    expect(res.body).not.toHaveProperty('invite_url');

    const stored = await stack.request('GET', `/v1/tenants/${tenant.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.slug).toBe(tenant.slug);

    const events = keycloakEvents(await db.auditEvents(tenant.id));
    expect(events.map((e) => e.action)).toEqual(['keycloak.provision_failed']);
    expect(events[0]?.metadata).toMatchObject({ step });
    expect(String(events[0]?.metadata?.reason)).toMatch(reason);
    if (typeof fault === 'number') expect(events[0]?.metadata?.http_status).toBe(fault);
    if (at === 'invite') {
      // The organization exists: the event names it so an operator can re-send the invite.
      const [org] = [...kc.organizations.values()];
      expect(events[0]?.metadata?.organization_id).toBe(org?.id);
    }
    expect(await db.verifyAuditChain(tenant.id)).toMatchObject({ ok: true });
    expect(stack.logs.events('keycloak.provision_failed')).toHaveLength(1);

    // A replay answers what the first create answered: no invite_url, no new attempt.
    const calls = kc.requests.length;
    const replay = await stack.request('POST', '/v1/tenants', {
      body: tenantBody(tenant.slug, ADMIN),
      headers: { 'idempotency-key': key },
    });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(res.body);
    expect(kc.requests.length).toBe(calls);
    expectNoCredentialIn([...stack.logs.lines, JSON.stringify(events), res.text]);
  });

  test('an organization alias that already exists (409)', async () => {
    const slug = uniqueSlug('kc');
    kc.organizations.set('other', { id: 'other', name: 'Other', alias: slug, attributes: {}, invited: [] });
    const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug, ADMIN) });
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty('invite_url');
    const events = keycloakEvents(await db.auditEvents(res.body.tenant.id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'keycloak.provision_failed',
      metadata: { step: 'organization', reason: 'already exists', http_status: 409 },
    });
    expect(kc.requests.map((r) => r.step)).toEqual(['token', 'organization']);
  });

  test('a wrong client secret: refused, and never logged or recorded', async () => {
    const wrong = `wrong-${randomBytes(16).toString('hex')}`;
    stack.configure(keycloakEnv({ TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: wrong }));
    stack.logs.clear();
    const { res, tenant } = await create();
    expect(res.body).not.toHaveProperty('invite_url');
    const events = keycloakEvents(await db.auditEvents(tenant.id));
    expect(events).toMatchObject([{ action: 'keycloak.provision_failed', metadata: { step: 'token' } }]);
    const texts = [...stack.logs.lines, JSON.stringify(events), res.text];
    for (const text of texts) expect(text).not.toContain(wrong);
    expectNoCredentialIn(texts);
  });

  test('a refused secret is read again on the next create, so a rotation is picked up', async () => {
    const secretId = `keycloak/${randomBytes(4).toString('hex')}`;
    const stale = `stale-${randomBytes(16).toString('hex')}`;
    await stack.secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: stale }));
    stack.configure(
      keycloakEnv({
        TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: '',
        TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: secretId,
      }),
    );
    const before = await create();
    expect(before.res.body).not.toHaveProperty('invite_url');
    await stack.secrets.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: kc.clientSecret }),
    );
    const after = await create();
    expect(after.res.body.invite_url).toEqual(expect.any(String));
    expect(kc.requests.filter((r) => r.step === 'token').map((r) => r.fields.client_secret)).toEqual([
      stale,
      kc.clientSecret,
    ]);
  });

  test('an unreachable Keycloak', async () => {
    const closed = await startKeycloakStub();
    await closed.close();
    stack.configure(keycloakEnv({ TENANT_REGISTRY_KEYCLOAK_URL: closed.url }));
    const { res, tenant } = await create();
    expect(res.body).not.toHaveProperty('invite_url');
    const events = keycloakEvents(await db.auditEvents(tenant.id));
    expect(events).toMatchObject([{ action: 'keycloak.provision_failed', metadata: { step: 'token' } }]);
    expect(String(events[0]?.metadata?.reason)).toMatch(/unreachable/);
  });
});
