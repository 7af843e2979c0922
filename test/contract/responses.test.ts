import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { kebab } from '../../shared/contract/planes';
import { loadSpec, type Operation, operations } from '../../shared/contract/spec';
import type { EndpointHandler } from '../../shared/http/endpoint';
import { STATUS_BY_CODE } from '../../shared/http/errors';
import { at, errorCodesOf, type ResponseObject } from '../support/contract';

/**
 * openapi.yaml says every status, error code and header the server answers, per operation.
 * What a handler can emit is known three ways: the status table (`STATUS_BY_CODE`, every code
 * there is), what the handler declares (plane, input schemas, idempotency, If-Match: the
 * shared middleware chain's codes follow from it), and every response the integration, fuzz
 * and security suites receive (test/support/contract.ts refuses a code its response does not
 * list). This file holds the first two.
 */
const spec = loadSpec();
const ops = operations(spec);
const sharedDir = fileURLToPath(new URL('../../shared/', import.meta.url));
const functionsDir = fileURLToPath(new URL('../../functions/', import.meta.url));

type OperationObject = {
  parameters?: { $ref?: string }[];
  responses: Record<string, ResponseObject>;
};
const operationObject = (op: Operation) => spec.paths[op.path]?.[op.method.toLowerCase()] as OperationObject;
const responseOf = (op: Operation, status: number): ResponseObject | undefined => {
  const r = operationObject(op).responses[String(status)];
  return r?.$ref ? at<ResponseObject>(r.$ref) : r;
};
/** Every (status, code) the operation lists. */
const listed = (op: Operation): Map<number, readonly string[]> =>
  new Map(
    Object.keys(operationObject(op).responses)
      .map(Number)
      .filter((s) => s >= 400)
      .map((s) => [s, errorCodesOf(responseOf(op, s) ?? {}) ?? []]),
  );

/** Operations that reach no dependency: no 503 (getReadyz documents its own, with `checks`). */
const NO_DEPENDENCY = new Set(['getHealthz']);

test('openapi.yaml is a valid OpenAPI 3.1 document', async () => {
  const result = await new Validator().validate(spec as unknown as Parameters<Validator['validate']>[0]);
  expect(result).toEqual({ valid: true });
});

describe('error responses', () => {
  test('every operation documents 500 internal, and 503 service_unavailable when it reaches a dependency', () => {
    const missing: string[] = [];
    for (const op of ops) {
      const responses = operationObject(op).responses;
      if (responses['500']?.$ref !== '#/components/responses/InternalError')
        missing.push(`${op.operationId} 500`);
      const shared503 = op.operationId !== 'getReadyz' && !NO_DEPENDENCY.has(op.operationId);
      if (shared503 && responses['503']?.$ref !== '#/components/responses/ServiceUnavailable')
        missing.push(`${op.operationId} 503`);
    }
    expect(missing).toEqual([]);
    expect(listed(ops.find((o) => o.operationId === 'getReadyz') as Operation).get(503)).toEqual([
      'service_unavailable',
    ]);
  });

  test('every error response lists its codes, each at the status the status table gives it', () => {
    const wrong: string[] = [];
    for (const op of ops)
      for (const [status, codes] of listed(op)) {
        if (codes.length === 0) wrong.push(`${op.operationId} ${status}: no error enum`);
        for (const code of codes)
          if (STATUS_BY_CODE[code] !== status)
            wrong.push(
              `${op.operationId} ${status}: ${code} is ${STATUS_BY_CODE[code] ?? 'not in the table'}`,
            );
      }
    expect(wrong).toEqual([]);
  });

  test('every code of the status table is listed by some operation', () => {
    const everywhere = new Set(ops.flatMap((op) => [...listed(op).values()].flat()));
    expect(Object.keys(STATUS_BY_CODE).filter((code) => !everywhere.has(code))).toEqual([]);
  });

  test('every error code the code base constructs is in the status table (else it would be a 500)', () => {
    const found = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = `${dir}${entry.name}`;
        if (entry.isDirectory()) walk(`${path}/`);
        else if (path.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          // `super('code', ...)` in an error class, `new DomainError('code', ...)`, `new HttpError(...)`,
          // and the codes of CatalogRuleError's union.
          for (const m of text.matchAll(/(?:super|new (?:Domain|Http)Error)\(\s*'([a-z_]+)'/g))
            found.add(m[1] ?? '');
          for (const m of text.matchAll(/code: ('[a-z_]+'(?:\s*\|\s*'[a-z_]+')+)/g))
            for (const c of (m[1] ?? '').matchAll(/'([a-z_]+)'/g)) found.add(c[1] ?? '');
        }
      }
    };
    walk(sharedDir);
    walk(functionsDir);
    expect(found.size).toBeGreaterThan(20);
    expect([...found].filter((code) => STATUS_BY_CODE[code] === undefined)).toEqual([]);
  });
});

describe('success responses', () => {
  const success = (op: Operation) =>
    Object.keys(operationObject(op).responses)
      .map(Number)
      .filter((s) => s < 300)
      .map((s) => ({ status: s, response: responseOf(op, s) ?? {} }));

  test('every 201 declares Location, or says why there is none', () => {
    const silent: string[] = [];
    for (const op of ops)
      for (const { status, response } of success(op))
        if (
          status === 201 &&
          !response.headers?.Location &&
          !/No `Location`/.test(response.description ?? '')
        )
          silent.push(op.operationId);
    expect(silent).toEqual([]);
  });
});

describe.each(ops)('$operationId lists what its middleware chain can answer', (op) => {
  let handler: EndpointHandler;
  beforeAll(async () => {
    ({ handler } = (await import(`../../functions/${kebab(op.operationId)}/handler.ts`)) as {
      handler: EndpointHandler;
    });
  });

  test('statuses and codes that follow from what the handler declares', () => {
    const { spec: declared } = handler;
    const expected: [number, string][] = [[500, 'internal']];
    const add = (status: number, ...codes: string[]) => {
      for (const code of codes) expected.push([status, code]);
    };
    const input = declared.body || declared.query || declared.params;
    if (op.plane !== 'public') add(404, 'not_found'); // the off switch
    if (op.plane !== 'public' && !NO_DEPENDENCY.has(op.operationId)) add(503, 'service_unavailable');
    if (op.plane === 'operator' || op.plane === 'service') add(401, 'unauthorized');
    if (op.plane === 'tenant') {
      add(400, 'invalid_input', 'tenant_required', 'tenant_conflict');
      add(401, 'unauthorized');
      add(403, 'forbidden', 'tenant_not_allowed', 'scope_missing');
      if (op.method !== 'GET') add(403, 'tenant_frozen');
    }
    if (input) add(400, 'invalid_input');
    if (declared.body) add(413, 'payload_too_large');
    if (declared.body) add(415, 'unsupported_media_type');
    if (declared.idempotent) add(409, 'idempotency_in_progress');
    if (declared.idempotent) add(422, 'idempotency_key_reused');
    const ifMatch = (operationObject(op).parameters ?? []).some(
      (p) => p.$ref === '#/components/parameters/IfMatch',
    );
    if (ifMatch) add(400, 'invalid_input');
    if (ifMatch) add(412, 'precondition_failed');

    const codes = listed(op);
    const missing = expected.filter(([status, code]) => !codes.get(status)?.includes(code));
    expect(missing.map(([s, c]) => `${s} ${c}`)).toEqual([]);
  });

  test('an idempotent create declares Idempotent-Replayed on its success response', () => {
    const status = handler.spec.status ?? 200;
    const headers = Object.keys(responseOf(op, status)?.headers ?? {});
    expect(headers.includes('Idempotent-Replayed')).toBe(handler.spec.idempotent === true);
  });
});
