import fc from 'fast-check';
import { ValidationError } from '../../shared/domain/errors';
import type { HttpEvent } from '../../shared/http/request';
import {
  etagOf,
  forIngress,
  json,
  locationFrom,
  pathOf,
  precondition,
  versionFromIfMatch,
} from '../../shared/http/responses';

describe('etagOf / versionFromIfMatch', () => {
  it('writes a version as a strong, quoted ETag', () => {
    expect(etagOf(1)).toBe('"v1"');
    expect(etagOf(42)).toBe('"v42"');
  });

  it.each([1, 2, 9, 10, 99, 12_345, 2 ** 31, Number.MAX_SAFE_INTEGER])(
    'round-trips version %i',
    (version) => {
      expect(versionFromIfMatch(etagOf(version))).toBe(version);
    },
  );

  it('round-trips every safe version (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (version) => {
        expect(versionFromIfMatch(etagOf(version))).toBe(version);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts surrounding whitespace; a weak tag never matches (If-Match compares strongly)', () => {
    expect(versionFromIfMatch('  "v7"  ')).toBe(7);
    expect(versionFromIfMatch('W/"v7"')).toBeNaN();
  });

  it('is undefined (no precondition) without a header or with "*"', () => {
    expect(versionFromIfMatch(undefined)).toBeUndefined();
    expect(versionFromIfMatch('*')).toBeUndefined();
    expect(versionFromIfMatch(' * ')).toBeUndefined();
  });

  it.each([
    '"1"',
    '"v0"',
    '"v01"',
    '"v-1"',
    '"v1.5"',
    '"v1e3"',
    '"V1"',
    '""',
    'W/"v1"',
    '"v١"',
    '"v12345678901234567"',
    '"vNaN"',
    '"x", "y"',
    '"a,b"',
  ])('is NaN for %j, well-formed but never issued: the caller gets a 412', (header) => {
    expect(versionFromIfMatch(header)).toBeNaN();
  });

  it.each([
    ['"v1", "x"', 1],
    ['W/"v2", "v1"', 1],
    ['"v3", , "v3"', 3],
    [' ,"v4",', 4],
  ])('takes the one issued tag of the list %j', (header, version) => {
    expect(versionFromIfMatch(header)).toBe(version);
  });

  it.each([
    '',
    ' ',
    ',',
    ' , ,',
    'v1',
    'garbage',
    "'v1'",
    '"v1',
    'v1"',
    '"v 1"',
    '"v1" "v2"',
    '"v1"x',
    'w/"v1"',
    'W/ "v1"',
    '*, "v1"',
    '"v1", *',
    '"v1\u0000"',
  ])('is a 400 naming If-Match for %j, which is not a list of entity-tags', (header) => {
    expect(() => versionFromIfMatch(header)).toThrow(
      new ValidationError('the If-Match header must be * or a quoted ETag such as "v3"'),
    );
  });

  it('is a 400 for a list naming two versions (one expected version, never a set)', () => {
    expect(() => versionFromIfMatch('"v1", "v2"')).toThrow(
      new ValidationError('the If-Match header names several versions: send the one ETag you last read'),
    );
  });

  it('for any header gives undefined for *, NaN, a version it names, or a 400 (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: fc.constantFrom(...'"vW/0123456789 ,*'.split('')), maxLength: 12 }),
          fc.nat().map((n) => `"v${n}"`),
        ),
        (header) => {
          let version: number | undefined;
          try {
            version = versionFromIfMatch(header);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as ValidationError).message).toMatch(/^the If-Match header /);
            return;
          }
          if (version === undefined) {
            expect(header.trim()).toBe('*');
            return;
          }
          if (Number.isNaN(version)) {
            // No element of the list is one of our strong tags.
            expect(/(^|[ \t,])"v[1-9]\d{0,15}"([ \t,]|$)/.test(header)).toBe(false);
            return;
          }
          expect(Number.isInteger(version) && version >= 1).toBe(true);
          expect(header).toContain(etagOf(version));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('precondition', () => {
  it('has no expected version without If-Match', () => {
    expect(precondition({ headers: {} })).toEqual({});
  });

  it('expects the version an issued ETag names', () => {
    expect(precondition({ headers: { 'if-match': '"v3"' } })).toEqual({ expectedVersion: 3 });
  });

  it('expects version 0, which never exists, for a tag never issued: the caller gets a 412', () => {
    expect(precondition({ headers: { 'if-match': '"garbage"' } })).toEqual({ expectedVersion: 0 });
  });

  it('refuses a malformed header (400), never turning it into a 412', () => {
    expect(() => precondition({ headers: { 'if-match': 'garbage' } })).toThrow(ValidationError);
  });
});

describe('json', () => {
  it('states the body size in bytes (what a HEAD of the same GET reports)', () => {
    const res = json(200, { name: 'Müller €' });
    expect(res.body).toBe('{"name":"Müller €"}');
    expect(res.headers['content-length']).toBe('22');
  });

  it('sends no content-length with a 204 (RFC 9110)', () => {
    expect(json(204, undefined).headers).not.toHaveProperty('content-length');
  });
});

describe('pathOf / locationFrom', () => {
  it('fills a route template, encoding each value', () => {
    expect(pathOf({ path: '/v1/tenants/{id}' }, { id: 'abc' })).toBe('/v1/tenants/abc');
    expect(pathOf({ path: '/{tenant}/api-keys/{id}' }, { tenant: 'a b', id: 'k/1' })).toBe(
      '/a%20b/api-keys/k%2F1',
    );
    expect(() => pathOf({ path: '/v1/tenants/{id}' }, {})).toThrow('no value for {id}');
  });

  // Where the relative reference lands, resolved as a client resolves it (RFC 3986) against
  // the URL it called, whatever prefix the ingress put in front of our paths.
  const resolved = (prefix: string, requestPath: string, target: string) =>
    new URL(locationFrom(requestPath, target), `https://api.example${prefix}${requestPath}`).pathname;

  it.each([
    ['/v1/tenants', '/v1/tenants/t1', 'tenants/t1'],
    ['/v1/tenants/', '/v1/tenants/t1', 't1'],
    ['/v1/api-keys/old/roll', '/v1/api-keys/new', '../new'],
    ['/v1/catalog/trial-request', '/v1/tenants/t1/entitlements/p', '../tenants/t1/entitlements/p'],
    ['/v1/tenants/t1/aliases', '/v1/tenants/t1/aliases/acme', 'aliases/acme'],
    ['/acme/api-keys', '/acme/api-keys/k1', 'api-keys/k1'],
    ['/tenant/api-keys', '/acme/api-keys/k1', '../acme/api-keys/k1'],
    ['/ACME/api-keys/k0/roll', '/acme/api-keys/k1', '../../../acme/api-keys/k1'],
  ])('from %s to %s: %s, right under any prefix', (from, to, expected) => {
    expect(locationFrom(from, to)).toBe(expected);
    for (const prefix of ['', '/prod', '/base/path'])
      expect(resolved(prefix, from, to)).toBe(`${prefix}${to}`);
  });

  it('never lets a first segment read as a URI scheme', () => {
    expect(locationFrom('/v1/x', '/v1/a:b')).toBe('./a:b');
    expect(new URL(locationFrom('/v1/x', '/v1/a:b'), 'https://api.example/v1/x').pathname).toBe('/v1/a:b');
  });
});

describe('forIngress', () => {
  const response = json(200, { a: 1 }, { etag: '"v1"' });
  const alb = {
    requestContext: { elb: { targetGroupArn: 'arn' } },
    httpMethod: 'GET',
    path: '/',
    body: null,
  };

  it('leaves an API Gateway response as it is', () => {
    const event = { requestContext: { identity: { sourceIp: '1.2.3.4' } } } as unknown as HttpEvent;
    expect(forIngress(event, response)).toBe(response);
  });

  it('answers an ALB in single-value mode with `headers`, stating isBase64Encoded', () => {
    const event = { ...alb, headers: {}, isBase64Encoded: false } as HttpEvent;
    expect(forIngress(event, response)).toEqual({ ...response, isBase64Encoded: false });
  });

  it('answers an ALB in multi-value mode with `multiValueHeaders` only, as it requires', () => {
    const event = { ...alb, multiValueHeaders: {}, isBase64Encoded: false } as HttpEvent;
    expect(forIngress(event, response)).toEqual({
      statusCode: 200,
      multiValueHeaders: {
        'content-type': ['application/json'],
        'cache-control': ['no-store'],
        etag: ['"v1"'],
        'content-length': ['7'],
      },
      body: '{"a":1}',
      isBase64Encoded: false,
    });
  });
});
