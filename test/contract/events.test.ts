import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadSpec } from '../../shared/contract/spec';
import type { ApiKeyRecord } from '../../shared/domain/api-key';
import { REGISTRY_ACTIONS, type RegistryAction } from '../../shared/domain/audit-events';
import { EVENT_DATA, type EventResource, eventData, type RegistryEvent } from '../../shared/domain/events';
import { newTenant } from '../../shared/domain/tenant';

/** openapi.yaml's `webhooks:` section: one entry per event type, and real events validate against it. */
const spec = loadSpec() as unknown as {
  webhooks: Record<
    string,
    { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
  >;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec as object, 'openapi');

const NOW = new Date(Date.UTC(2025, 5, 1, 8, 0, 0));
const TENANT = '00000000-0000-4000-8000-000000000001';
const at = NOW.toISOString();
const RESOURCES: Record<EventResource['kind'], EventResource> = {
  tenant: { kind: 'tenant', tenant: newTenant(TENANT, { slug: 'acme', name: 'Acme' }, NOW) },
  api_key: {
    kind: 'api_key',
    key: {
      id: '00000000-0000-4000-8000-0000000000aa',
      tenant_id: TENANT,
      name: 'ci',
      prefix: 'trk_AAAAAAAA',
      scopes: ['profile:read'],
      created_at: at,
      created_by: 'operator',
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      secret_hash: '$argon2id$...',
    } as unknown as ApiKeyRecord,
  },
  entitlement: {
    kind: 'entitlement',
    now: NOW,
    entitlement: {
      tenant_id: TENANT,
      product: 'crm',
      enabled: true,
      config: {},
      trial: false,
      expires_at: null,
      created_at: at,
      updated_at: at,
      version: 1,
    },
  },
  catalog_entry: {
    kind: 'catalog_entry',
    entry: {
      key: 'crm',
      name: 'CRM',
      description: 'customers',
      plans_required: ['pro'],
      supports_trial: true,
      created_at: at,
      updated_at: at,
      version: 1,
    },
  },
  webhook: {
    kind: 'webhook',
    webhook: { id: 'wh_1', url: 'https://hooks.example.com/in', events: ['*'], secret: 'whsec_x' },
  },
};

function eventOf(action: string): RegistryEvent {
  const kind = (EVENT_DATA as Record<string, string>)[action] ?? 'event';
  const resource = kind === 'event' ? undefined : RESOURCES[kind as EventResource['kind']];
  return {
    id: '1748764800000123',
    type: action,
    created_at: at,
    tenant_id: TENANT,
    sequence: 3,
    data: eventData(
      { tenant_id: TENANT, action, actor_id: 'ops', origin: 'operator', metadata: { k: 1 } },
      resource,
    ),
  };
}

const schemaOf = (type: string) =>
  spec.webhooks[type]?.post.requestBody.content['application/json']?.schema.$ref;

describe('openapi.yaml webhooks: the event catalog', () => {
  test('one entry per registry action, and one for products’ own types', () => {
    expect(REGISTRY_ACTIONS.filter((a) => schemaOf(a) === undefined)).toEqual([]);
    expect(
      Object.keys(spec.webhooks).filter((t) => !(REGISTRY_ACTIONS as readonly string[]).includes(t)),
    ).toEqual(['product.event']);
  });

  test.each(REGISTRY_ACTIONS.map((a) => [a]))(
    '%s: the event the registry builds matches its schema',
    (action: RegistryAction) => {
      const validate = ajv.compile({ $ref: `openapi${schemaOf(action)}` });
      const ok = validate(eventOf(action));
      expect([action, ok ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([action, 'valid']);
    },
  );

  test("a product's event matches ProductEvent, and a type another schema names does not", () => {
    const validate = ajv.compile({ $ref: `openapi${schemaOf('product.event')}` });
    expect(validate(eventOf('invoice.paid'))).toBe(true);
    const tenantCreated = ajv.compile({ $ref: `openapi${schemaOf('tenant.created')}` });
    expect(tenantCreated({ ...eventOf('tenant.created'), type: 'tenant.updated' })).toBe(false);
  });
});
