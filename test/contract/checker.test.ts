import { routes } from '../../shared/contract/routes';
import { assertResponseMatchesSpec, ContractViolation, observed } from '../support/contract';

/**
 * The checker every integration, fuzz and security test runs on each response
 * (test/support/contract.ts): it must refuse what openapi.yaml does not say, or those suites
 * prove nothing about the contract.
 */
const { createTenant, getTenant, retireTenant, appendAuditEvent, getHealthz } = routes;
const JSON_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'content-length': '2',
};
const error = (code: string) => ({ error: code, message: 'm', request_id: 'r' });
const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ContractViolation) return e.message;
    throw e;
  }
  return undefined;
};

test('an error code the response does not list is refused, naming the codes it lists', () => {
  expect(refusal(() => assertResponseMatchesSpec(retireTenant, 409, error('slug_taken')))).toBe(
    "DELETE /v1/tenants/{id} 409 answered error 'slug_taken', which openapi.yaml does not list for it (invalid_transition, conflict)",
  );
  expect(
    refusal(() => assertResponseMatchesSpec(retireTenant, 409, error('invalid_transition'))),
  ).toBeUndefined();
  expect(observed.has('retireTenant 409 invalid_transition')).toBe(true);
});

test('a code listed at another status is refused at this one', () => {
  expect(refusal(() => assertResponseMatchesSpec(createTenant, 400, error('not_found')))).toMatch(
    /400 answered error 'not_found', which openapi.yaml does not list for it \(invalid_input\)/,
  );
});

test('5xx bodies are held to the spec too', () => {
  expect(
    refusal(() => assertResponseMatchesSpec(getTenant, 503, error('service_unavailable'))),
  ).toBeUndefined();
  expect(refusal(() => assertResponseMatchesSpec(getTenant, 500, error('service_unavailable')))).toMatch(
    /500 answered error 'service_unavailable'/,
  );
  // The liveness probe reaches nothing: no 503 there.
  expect(refusal(() => assertResponseMatchesSpec(getHealthz, 503, error('service_unavailable')))).toBe(
    'GET /healthz answered 503, which openapi.yaml does not document',
  );
});

test('a header the response does not declare is refused; transport headers are not', () => {
  const headers = { ...JSON_HEADERS, etag: '"v1"' };
  expect(
    refusal(() => assertResponseMatchesSpec(appendAuditEvent, 400, error('invalid_input'), { headers })),
  ).toBe('POST /v1/audit 400 sent etag, which openapi.yaml does not declare for it');
  expect(
    refusal(() =>
      assertResponseMatchesSpec(appendAuditEvent, 400, error('invalid_input'), { headers: JSON_HEADERS }),
    ),
  ).toBeUndefined();
});

test('a required header that is missing, or whose value breaks its schema, is refused', () => {
  const body = {
    tenant: {
      id: '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab',
      slug: 'acme',
      name: 'Acme',
      status: 'trial',
      kind: 'customer',
      plan: 'starter',
      trial_ends_at: '2025-01-15T00:00:00.000Z',
      contract_start: null,
      contract_end: null,
      active_components: [],
      active_record_types: [],
      settings: {},
      aliases: ['acme'],
      version: 1,
      created_at: '2025-01-01T00:00:00.000Z',
      updated_at: '2025-01-01T00:00:00.000Z',
    },
  };
  const check = (headers: Record<string, string>) =>
    refusal(() =>
      assertResponseMatchesSpec(createTenant, 201, body, { headers: { ...JSON_HEADERS, ...headers } }),
    );
  expect(check({ etag: '"v1"', location: `tenants/${body.tenant.id}` })).toBeUndefined();
  expect(check({ location: `tenants/${body.tenant.id}` })).toBe(
    'POST /v1/tenants 201 did not send ETag, which openapi.yaml requires',
  );
  expect(check({ etag: '"v1"' })).toBe(
    'POST /v1/tenants 201 did not send Location, which openapi.yaml requires',
  );
  expect(check({ etag: 'v1', location: 'x' })).toMatch(
    /^POST \/v1\/tenants 201 ETag: "v1" does not match openapi.yaml/,
  );
  expect(check({ etag: '"v1"', location: 'x', 'idempotent-replayed': 'yes' })).toMatch(
    /Idempotent-Replayed: "yes" does not match/,
  );
  expect(check({ etag: '"v1"', location: 'x', 'idempotent-replayed': 'true' })).toBeUndefined();
});

test('HEAD is the GET without a body; OPTIONS is 204 with Allow, or the unknown-route 404', () => {
  const head = (body: unknown) =>
    refusal(() =>
      assertResponseMatchesSpec(getTenant, 401, body, {
        method: 'HEAD',
        headers: { 'www-authenticate': 'Bearer' },
      }),
    );
  expect(head(undefined)).toBeUndefined();
  expect(head(error('unauthorized'))).toMatch(/^HEAD \/v1\/tenants\/\{id\} 401 sent a body/);
  const options = (status: number, headers: Record<string, string>) =>
    refusal(() => assertResponseMatchesSpec(getTenant, status, undefined, { method: 'OPTIONS', headers }));
  expect(options(204, { allow: 'GET, HEAD, PATCH, DELETE, OPTIONS' })).toBeUndefined();
  expect(options(204, {})).toBe(
    'OPTIONS /v1/tenants/{id} 204 did not send Allow, which openapi.yaml requires',
  );
  expect(options(200, {})).toBe(
    'OPTIONS /v1/tenants/{id} answered 200, which openapi.yaml does not document',
  );
  expect(
    refusal(() =>
      assertResponseMatchesSpec(
        getTenant,
        404,
        { error: 'not_found', message: 'no such route' },
        { method: 'OPTIONS' },
      ),
    ),
  ).toBeUndefined();
});
