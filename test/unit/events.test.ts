import type { ApiKeyRecord } from '../../shared/domain/api-key';
import type { AuditInput } from '../../shared/domain/audit';
import { REGISTRY_ACTIONS, type RegistryAction } from '../../shared/domain/audit-events';
import type { CatalogEntry, Entitlement } from '../../shared/domain/catalog';
import {
  EVENT_DATA,
  type EventResource,
  eventData,
  type RegistryEvent,
  tenantEventView,
} from '../../shared/domain/events';
import { newTenant } from '../../shared/domain/tenant';

const NOW = new Date(Date.UTC(2025, 5, 1, 8, 0, 0));
const TENANT_ID = '00000000-0000-4000-8000-000000000001';

/** Values planted in every resource and event; none may appear in any event's data. */
const PLANTED = {
  hash: '$argon2id$v=19$m=19456,t=2,p=1$planted-hash',
  plaintext: 'tr_planted_plaintext_key_value',
  signing: 'whsec_plantedsigningsecret',
  chainHash: 'c'.repeat(64),
  nonce: 'planted-nonce',
  password: 'planted-password',
};
/** Field names that must never appear in data, at any depth (written out here, not imported). */
const FORBIDDEN_FIELDS = [
  'secret',
  'secrets',
  'secret_hash',
  'signing_secret',
  'plaintext',
  'password',
  'hash',
  'prev_hash',
  'nonce',
];

function tenantResource(): EventResource {
  const tenant = newTenant(
    TENANT_ID,
    { slug: 'acme', name: 'Acme', sales_owner: 'Ann Sales', erp_customer_id: 'ERP-1' },
    NOW,
  );
  return {
    kind: 'tenant',
    tenant: { ...tenant, settings: { theme: 'dark', smtp: { password: PLANTED.password } } },
  };
}

function keyResource(): EventResource {
  const key: ApiKeyRecord = {
    id: '00000000-0000-4000-8000-0000000000aa',
    tenant_id: TENANT_ID,
    name: 'ci',
    prefix: 'tr_AAAAAAAA',
    scopes: ['profile:read'],
    created_at: NOW.toISOString(),
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    secret_hash: PLANTED.hash,
  } as unknown as ApiKeyRecord;
  // A record that grew a plaintext by mistake: it still never leaves.
  return { kind: 'api_key', key: { ...key, plaintext: PLANTED.plaintext } as unknown as ApiKeyRecord };
}

function entitlementResource(): EventResource {
  const entitlement: Entitlement = {
    tenant_id: TENANT_ID,
    product: 'crm',
    enabled: true,
    config: { seats: 5, api: { token: PLANTED.password } },
    trial: false,
    expires_at: null,
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    version: 1,
  };
  return { kind: 'entitlement', entitlement, now: NOW };
}

function catalogResource(): EventResource {
  const entry: CatalogEntry = {
    key: 'crm',
    name: 'CRM',
    description: 'customers',
    plans_required: ['pro'],
    supports_trial: true,
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    version: 3,
  };
  return { kind: 'catalog_entry', entry };
}

function webhookResource(): EventResource {
  return {
    kind: 'webhook',
    webhook: {
      id: 'wh_1',
      url: 'https://hooks.example.com/in',
      events: ['*'],
      secret: PLANTED.signing,
      secrets: [{ secret: PLANTED.signing }],
      signing_secret: PLANTED.signing,
    },
  };
}

const RESOURCES: Record<EventResource['kind'], () => EventResource> = {
  tenant: tenantResource,
  api_key: keyResource,
  entitlement: entitlementResource,
  catalog_entry: catalogResource,
  webhook: webhookResource,
};

function auditInput(action: string): AuditInput & { hash: string; prev_hash: string } {
  return {
    tenant_id: TENANT_ID,
    actor_id: 'ops',
    actor_type: 'operator',
    action,
    origin: 'operator',
    source_ip: '203.0.113.9',
    nonce: PLANTED.nonce,
    hash: PLANTED.chainHash,
    prev_hash: PLANTED.chainHash,
    metadata: { plaintext: PLANTED.plaintext, note: 'kept', nested: { secret_hash: PLANTED.hash } },
  };
}

/** Every field name at any depth, and every string value. */
function walk(
  value: unknown,
  fields: string[] = [],
  strings: string[] = [],
): { fields: string[]; strings: string[] } {
  if (typeof value === 'string') strings.push(value);
  else if (Array.isArray(value)) for (const v of value) walk(v, fields, strings);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      fields.push(k);
      walk(v, fields, strings);
    }
  }
  return { fields, strings };
}

describe('event data: the resource after the change, never a secret, hash or plaintext', () => {
  it.each(REGISTRY_ACTIONS.map((a) => [a]))('%s', (action: RegistryAction) => {
    const kind = EVENT_DATA[action];
    const resource = kind === 'event' ? undefined : RESOURCES[kind]();
    const data = eventData(auditInput(action), resource);
    const { fields, strings } = walk(data);
    for (const forbidden of FORBIDDEN_FIELDS) expect(fields).not.toContain(forbidden);
    for (const planted of Object.values(PLANTED)) expect(strings).not.toContain(planted);
    expect(Object.keys(data).length).toBeGreaterThan(0);
  });

  it('a tenant event carries the tenant view: active slugs, not the alias records', () => {
    const data = eventData(auditInput('tenant.updated'), tenantResource());
    expect(data).toMatchObject({
      id: TENANT_ID,
      slug: 'acme',
      aliases: ['acme'],
      settings: { theme: 'dark', smtp: {} },
    });
  });

  it('an API key event carries the key without its hash', () => {
    const data = eventData(auditInput('api_key.revoked'), keyResource());
    expect(data).toEqual({
      id: '00000000-0000-4000-8000-0000000000aa',
      tenant_id: TENANT_ID,
      name: 'ci',
      prefix: 'tr_AAAAAAAA',
      scopes: ['profile:read'],
      created_at: NOW.toISOString(),
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
    });
  });

  it('an entitlement event carries the entitlement as the API shows it (no version)', () => {
    const data = eventData(auditInput('entitlement.granted'), entitlementResource());
    expect(data).toEqual({
      tenant_id: TENANT_ID,
      product: 'crm',
      enabled: true,
      config: { seats: 5, api: {} },
      trial: false,
      expires_at: null,
      created_at: NOW.toISOString(),
      updated_at: NOW.toISOString(),
    });
  });

  it("a product's appended event carries its public fields: no request context, no chain fields", () => {
    const data = eventData({ ...auditInput('invoice.paid'), product: 'billing', target_id: 'inv-1' });
    expect(data).toEqual({
      tenant_id: TENANT_ID,
      actor_id: 'ops',
      actor_type: 'operator',
      origin: 'operator',
      product: 'billing',
      target_id: 'inv-1',
      metadata: { note: 'kept', nested: {} },
    });
  });

  it('a resource of another kind than the action declares is not used: the event fields are', () => {
    const data = eventData(auditInput('catalog.requested'), tenantResource());
    expect(data).not.toHaveProperty('slug');
    expect(data).toHaveProperty('actor_id', 'ops');
  });
});

describe('tenant projection of an event', () => {
  const base = { id: '1', created_at: NOW.toISOString(), tenant_id: TENANT_ID, sequence: 1 };

  it('leaves out the operators’ private profile fields', () => {
    const event: RegistryEvent = {
      ...base,
      type: 'tenant.updated',
      data: eventData(auditInput('tenant.updated'), tenantResource()),
    };
    const view = tenantEventView(event);
    expect(event.data).toHaveProperty('sales_owner', 'Ann Sales');
    for (const field of ['sales_owner', 'erp_customer_id', 'stripe_cust_id', 'cancel_reason']) {
      expect(view.data).not.toHaveProperty(field);
    }
    expect(view.data).toHaveProperty('slug', 'acme');
    expect(view).toMatchObject(base);
  });

  it('projects metadata as the tenant audit list does: undeclared keys of a registry action are withheld', () => {
    const event: RegistryEvent = {
      ...base,
      type: 'keycloak.provision_failed',
      data: { origin: 'system', metadata: { organization_id: 'org-1', reason: 'http 500', step: 'invite' } },
    };
    expect(tenantEventView(event).data).toEqual({ origin: 'system', metadata: { organization_id: 'org-1' } });
  });

  it("shows a product's own metadata as its writer wrote it, whoever wrote it", () => {
    const event = (origin: string): RegistryEvent => ({
      ...base,
      type: 'invoice.paid',
      data: { origin, metadata: { amount: 12, request_id: 'req-1' } },
    });
    expect(tenantEventView(event('tenant')).data).toEqual({
      origin: 'tenant',
      metadata: { amount: 12, request_id: 'req-1' },
    });
    expect(tenantEventView(event('operator')).data).toEqual({
      origin: 'operator',
      metadata: { amount: 12, request_id: 'req-1' },
    });
  });
});
