import { Ajv2020 } from 'ajv/dist/2020.js';
import * as z from 'zod/mini';
import { loadSpec } from '../../shared/contract/spec';
import { settings } from '../../shared/http/field-schemas';
import { describeIssues } from '../../shared/http/schemas';

/**
 * The limits of free-form JSON (`settings`, an entitlement's `config`, audit `metadata`: one
 * schema), at every depth, in the code and in openapi.yaml alike (issue 9: a nested object of
 * 3,000 keys was accepted because only the top level was counted).
 */

const Body = z.strictObject({ settings: z.optional(settings) });
/** What the caller reads: undefined when accepted. */
function refusal(value: unknown): string | undefined {
  const result = Body.safeParse({ settings: value });
  return result.success ? undefined : describeIssues(result.error.issues, 'body');
}

const keys = (n: number, value: unknown = 1): Record<string, unknown> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
/** `{"a":{"a":...{"a":1}}}` with 1 at `depth` keys from the top. */
const nested = (depth: number): Record<string, unknown> => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
};

const spec = loadSpec();
const ajv = new Ajv2020({ strict: false });
ajv.addSchema(spec as object, 'openapi');
const specAccepts = ajv.compile({ $ref: 'openapi#/components/schemas/Settings' });

describe('settings: keys per object, at every depth', () => {
  test.each([
    ['100 keys at the top', keys(100)],
    ['100 keys one level down', { a: keys(100) }],
    ['100 keys inside an array', { list: [keys(100)] }],
  ])('accepts %s (code and spec)', (_what, value) => {
    expect(refusal(value)).toBeUndefined();
    expect(specAccepts(value)).toBe(true);
  });

  test.each([
    ['101 keys at the top', keys(101), 'body.settings must have at most 100 keys (has 101)'],
    ['3,000 keys one level down', { a: keys(3000) }, 'body.settings.a must have at most 100 keys (has 3000)'],
    [
      '101 keys deeper, inside an array',
      { a: { b: [0, { c: keys(101) }] } },
      'body.settings.a.b[1].c must have at most 100 keys (has 101)',
    ],
    [
      'an empty key, nested',
      { a: { '': 1 } },
      'body.settings.a has a key that is empty or longer than 64 characters',
    ],
    [
      'a 65-character key, nested',
      { a: [{ ['x'.repeat(65)]: 1 }] },
      'body.settings.a[0] has a key that is empty or longer than 64 characters',
    ],
    [
      '"constructor", nested',
      { a: { b: { constructor: 1 } } },
      'body.settings.a.b has the reserved key "constructor"',
    ],
    [
      '"__proto__", nested',
      JSON.parse('{"a":{"__proto__":{}}}'),
      'body.settings.a has the reserved key "__proto__"',
    ],
  ])('refuses %s, naming where (code and spec)', (_what, value, message) => {
    expect(refusal(value)).toBe(message);
    expect(specAccepts(value)).toBe(false);
  });
});

describe('settings: limits a schema cannot state (documented in the spec)', () => {
  test('depth: a value 8 keys or indexes down is fine, 9 is not', () => {
    expect(refusal(nested(8))).toBeUndefined();
    expect(refusal(nested(9))).toBe('body.settings.a.a.a.a.a.a.a.a.a nests deeper than 8 levels');
    expect(refusal({ a: [[[[[[[1]]]]]]] })).toBeUndefined();
    expect(refusal({ a: [[[[[[[[1]]]]]]]] })).toBe(
      'body.settings.a[0][0][0][0][0][0][0][0] nests deeper than 8 levels',
    );
  });

  test('total keys: 1,000 across all objects is fine, 1,001 is not', () => {
    // 10 keys at the top, each holding an object of 99: 10 + 990 = 1,000.
    const full = keys(10, keys(99));
    expect(refusal(full)).toBeUndefined();
    expect(refusal({ ...full, k9: keys(100) })).toBe('body.settings.k9 has more than 1000 keys in total');
    // Spread thin over many small objects, the total still counts.
    const thin = (n: number) => ({ list: Array.from({ length: n }, (_, i) => ({ [`k${i}`]: 1 })) });
    expect(refusal(thin(999))).toBeUndefined();
    expect(refusal(thin(1000))).toBe('body.settings.list[999] has more than 1000 keys in total');
  });

  test('size: 16,384 bytes of JSON (UTF-8) is fine, one more is not', () => {
    // {"s":"…"} is 8 bytes around the string.
    expect(refusal({ s: 'x'.repeat(16_376) })).toBeUndefined();
    expect(refusal({ s: 'x'.repeat(16_377) })).toBe(
      'body.settings must be at most 16384 bytes as JSON (is 16385)',
    );
    // Bytes, not characters: 8,189 two-byte characters are 16,378 bytes of text.
    expect(refusal({ s: 'é'.repeat(8_188) })).toBeUndefined();
    expect(refusal({ s: 'é'.repeat(8_189) })).toBe(
      'body.settings must be at most 16384 bytes as JSON (is 16386)',
    );
  });

  test('the spec states each of these limits in words', () => {
    const described = (spec.components.schemas as Record<string, { description?: string }>).Settings
      ?.description;
    for (const words of ['at most 100 keys in any one object', 'deeper than 8', '1,000 keys', '16,384 bytes'])
      expect(described).toContain(words);
  });

  test('not an object, or a number JSON cannot carry: 400', () => {
    expect(refusal(null)).toBe('body.settings must be a JSON object');
    expect(refusal([])).toBe('body.settings must be a JSON object');
    expect(refusal({ a: [Number.POSITIVE_INFINITY] })).toBe('body.settings.a[0] holds a number out of range');
  });
});
