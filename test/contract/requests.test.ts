import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import * as z from 'zod/mini';
import { ResolveClaimsBody } from '../../functions/resolve-claims/schema';
import { loadSpec } from '../../shared/contract/spec';
import { ListAuditEventsQuery, TenantAuditQuery } from '../../shared/http/audit-schemas';

/**
 * Request rules the server enforces beyond its zod schemas' field lists, stated in openapi.yaml
 * the same way (routes.test.ts compares the fields): the spec refuses what the server refuses.
 */
const spec = loadSpec();
const ajv = new Ajv2020({ strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec as object, 'openapi');
const specAccepts = (pointer: string, value: unknown) => ajv.validate({ $ref: `openapi#${pointer}` }, value);

describe('ClaimsRequest names a tenant, as resolveClaims requires (400 otherwise)', () => {
  const uuid = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
  test.each([
    [{}, false],
    [{ user_attrs: {} }, false],
    [{ user_attrs: { locale: 'de' } }, false],
    [{ tenant_id: uuid }, true],
    [{ tenant_slug: 'acme' }, true],
    [{ user_attrs: { tenant_id: uuid } }, true],
    [{ user_attrs: { tenant_slug: 'acme', locale: 'de' } }, true],
  ])('%j: %s', (body, named) => {
    expect(specAccepts('/components/schemas/ClaimsRequest', body)).toBe(named);
    // The zod schema takes every shape; the service refuses the unnamed ones (claims.test.ts).
    expect(z.safeParse(ResolveClaimsBody, body).success).toBe(true);
  });
});

describe('audit cursors stop where the server stops: 2^53 - 1', () => {
  const cursorSchema = (path: string) => {
    const get = spec.paths[path]?.get as { parameters: { name?: string; schema?: unknown }[] } | undefined;
    return get?.parameters.find((p) => p.name === 'cursor')?.schema;
  };

  test.each([
    ['/v1/audit', ListAuditEventsQuery],
    ['/{tenant}/audit', TenantAuditQuery],
  ] as const)('%s', (path, query) => {
    const schema = cursorSchema(path) as object;
    for (const cursor of [0, 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2]) {
      const server = z.safeParse(query, { cursor: String(BigInt(cursor)) }).success;
      expect([cursor, ajv.validate(schema, cursor)]).toEqual([cursor, server]);
    }
    expect(ajv.validate(schema, 2 ** 53 - 1)).toBe(true);
    expect(ajv.validate(schema, 2 ** 53)).toBe(false);
  });
});
