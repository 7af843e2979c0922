import fc from 'fast-check';
import { loadSpec, type OpenApiDocument, type Operation, operations } from '../../shared/contract/spec';
import { RESERVED_SLUGS } from '../../shared/domain/slug';
import { SELECTED_FORM, TENANT_QUERY } from '../../shared/domain/tenant-selection';

/**
 * Bad requests for any operation of openapi.yaml, built from the spec alone: each case is a
 * valid-looking request (real-looking ids, values that match the schemas) with exactly one
 * violation applied to its path, query, headers or body, so the fuzzer gets past the early
 * checks and reaches the code behind them. A new operation in the spec gets all of this for free.
 */

// ---------------------------------------------------------------------------------------------
// The spec as operation models
// ---------------------------------------------------------------------------------------------

let cachedSpec: OpenApiDocument | undefined;
/** openapi.yaml, read once. */
const theSpec = (): OpenApiDocument => (cachedSpec ??= loadSpec());

/** The subset of JSON Schema openapi.yaml uses, after `$ref`s are resolved. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly format?: string;
  readonly pattern?: string;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly items?: JsonSchema;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly allOf?: readonly JsonSchema[];
}

export interface ParameterModel {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: JsonSchema;
}

export interface RequestBodyModel {
  readonly required: boolean;
  readonly mediaTypes: readonly string[];
  readonly schema: JsonSchema;
}

export interface OperationModel extends Operation {
  /** Path-level and operation-level parameters, the latter winning. */
  readonly parameters: readonly ParameterModel[];
  readonly requestBody?: RequestBodyModel;
  /** The statuses the operation documents. */
  readonly statuses: readonly number[];
}

/**
 * A copy of `node` with every local `$ref` (`#/...`) replaced by what it points to; a
 * recursive schema is cut at its first repetition (as `{}`, anything).
 */
export function resolveRefs<T>(doc: unknown, node: T, seen: readonly string[] = []): T {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(doc, n, seen)) as T;
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
    if (seen.includes(ref)) return {} as T;
    const target = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], doc);
    if (target === undefined) throw new Error(`unresolvable $ref: ${ref}`);
    return resolveRefs(doc, target as T, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(doc, v, seen)])) as T;
}

/** `allOf` folded into one schema (enough for the `allOf: [{$ref}]` + `default` idiom). */
function flat(schema: JsonSchema): JsonSchema {
  if (!schema.allOf) return schema;
  const { allOf, ...rest } = schema;
  return Object.assign({}, rest, ...allOf.map(flat));
}

function typeOf(schema: JsonSchema): string | undefined {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (typeof t === 'string') return t;
  if (schema.properties || schema.additionalProperties !== undefined) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

export function operationModels(spec: OpenApiDocument = theSpec()): OperationModel[] {
  const resolved = resolveRefs(spec, spec);
  return operations(spec).map((op) => {
    const item = resolved.paths[op.path] as { parameters?: ParameterModel[] } & Record<string, unknown>;
    const raw = item[op.method.toLowerCase()] as {
      parameters?: ParameterModel[];
      requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
      responses?: Record<string, unknown>;
    };
    const byKey = new Map<string, ParameterModel>();
    for (const p of [...(item.parameters ?? []), ...(raw.parameters ?? [])]) {
      byKey.set(`${p.in}:${p.name}`, { ...p, required: p.required ?? false, schema: p.schema ?? {} });
    }
    const content = raw.requestBody?.content ?? {};
    const mediaTypes = Object.keys(content);
    const firstSchema = mediaTypes.map((m) => content[m]?.schema).find((s) => s !== undefined);
    return {
      ...op,
      parameters: [...byKey.values()],
      ...(raw.requestBody
        ? {
            requestBody: {
              required: raw.requestBody.required ?? false,
              mediaTypes,
              schema: firstSchema ?? {},
            },
          }
        : {}),
      statuses: Object.keys(raw.responses ?? {})
        .map(Number)
        .filter((n) => Number.isInteger(n)),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// JSON with numbers JavaScript cannot hold
// ---------------------------------------------------------------------------------------------

/** A number written as is into JSON text: `1e400`, `9007199254740993`, `-0`. */
export class RawNumber {
  constructor(readonly text: string) {}
}

export type Json = null | boolean | number | string | RawNumber | Json[] | { [key: string]: Json };

/** JSON text of `value`, numbers in `RawNumber` written as they are. */
export function jsonText(value: Json): string {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** `{"a":{"a":...}}` or `[[...]]`, `depth` levels deep. */
export function nested(depth: number, kind: 'object' | 'array' = 'object'): Json {
  let value: Json = 1;
  for (let i = 0; i < depth; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

/** An object with an own `__proto__` key, as `JSON.parse` makes it (a literal would set the prototype). */
const protoKeyed = (value: Json): Json => JSON.parse(`{"__proto__":${jsonText(value)}}`) as Json;

// ---------------------------------------------------------------------------------------------
// Hostile material
// ---------------------------------------------------------------------------------------------

/** Strings that break naive code: traversal, NUL, injection, odd Unicode, key delimiters, sizes. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  'NaN',
  'Infinity',
  '1e309',
  '../',
  '..',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/',
  '//',
  '%00',
  '\u0000',
  'a\u0000b',
  '%2e%2e%2f',
  '%25',
  '%',
  "' OR '1'='1",
  '"; DROP TABLE tenants; --',
  '{"$gt":""}',
  '{"$ne":null}',
  '$where',
  '[$ne]',
  '<script>alert(1)</script>',
  '\u0024{jndi:ldap://x/a}',
  '{{7*7}}',
  '%s%s%s%n',
  '\r\nX-Injected: 1',
  '\u202egnp.exe',
  'ｔｅｎａｎｔ',
  'İı',
  '\ud800',
  'a\udfffb',
  '\ufeff',
  '\ufffd\ufffd',
  'Ã©',
  '😀'.repeat(50),
  'a'.repeat(300),
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'TENANT#x',
  'SLUG#a#b',
  '#',
  '*',
];

/** Strings shaped like tokens, versions and ETags, none of them issued by the server. */
const TOKEN_LIKE: readonly string[] = [
  '"v0"',
  'W/"v1"',
  '"v1", "v2"',
  '"v-1"',
  '"v1.5"',
  '"v99999999999999999999"',
  '"v9007199254740993"',
  'v1',
  '"v1',
  '""',
  '"V1"',
  '"v01"',
  'v1.',
  'v1.Zm9yZ2Vk',
  'v1.eyJQSyI6IlRFTkFOVCN4In0',
  `v1.${Buffer.from('2024-01-01T00:00:00.000Z#00000000-0000-4000-8000-000000000000').toString('base64url')}`,
  `v1.${Buffer.from('9999-99-99T99:99:99.999Z#ffffffff-ffff-ffff-ffff-ffffffffffff').toString('base64url')}`,
];

/** Object keys that break naive code. */
const HOSTILE_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  '$where',
  '$gt',
  'a.b',
  'a[0]',
  '#',
  'PK',
  'SK',
  'GSI1PK',
  '\u0000',
  'k'.repeat(65),
  'k'.repeat(1000),
];

/** Values that are valid wherever anything goes (open objects), and hard for what stores them. */
export const HOSTILE_JSON: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    new RawNumber('9007199254740993'),
    new RawNumber('123456789012345678901234567890'),
    new RawNumber('1e400'),
    new RawNumber('-1e400'),
    new RawNumber('1e-400'),
    new RawNumber('-0'),
    1e300,
    -1e300,
    1e-300,
    5e-324,
    Number.MAX_VALUE,
    0.1,
    '',
    '\u0000',
    '\ud800',
    '\ufeff',
    'A'.repeat(5000),
    '😀'.repeat(200),
    [],
    {},
    [[]],
    [null],
    { '': '' },
    protoKeyed({ polluted: true }),
  ),
  fc.constantFrom(33, 100, 1000).chain((d) => fc.constantFrom(nested(d), nested(d, 'array'))),
  fc.constantFrom(1000, 5000).map((n) => Array.from({ length: n }, (_, i) => i) as Json),
);

/** Raw (unencoded) path segments: dot segments, broken escapes, encoded slashes, NUL. */
const RAW_SEGMENTS: readonly string[] = [
  '.',
  '..',
  '../..',
  '../../..',
  '%2e%2e',
  '%2E%2E%2F',
  '..%2F..%2F',
  '%',
  '%zz',
  '%00',
  '%ff',
  '%c0%af',
  '%ED%A0%80',
  'a%2Fb',
  'a;b=c',
  ';',
  'x?limit=0',
  '#',
  '%20',
  '+',
];

/** Raw query strings: broken escapes, empty names, bracket and operator syntax. */
const RAW_QUERIES: readonly string[] = [
  '%',
  '%zz',
  '&&&',
  '=',
  '=x',
  'a=%',
  'a=%zz',
  '%00=%00',
  'a=1;b=2',
  'a[b]=c',
  'a[$ne]=1',
  '+=+',
  '&=&',
  '%3F%3D%26',
  '?',
  'a=1&a',
  '%ED%A0%80=1',
  'a=%ED%A0%80',
  'a='.repeat(2000),
];

/** Content types other than JSON, odd spellings of JSON, and broken values. */
const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
  'application/json-seq',
  'json',
  '*/*',
  'application/json, text/plain',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/json\r\n',
  'application/json\u0000',
  'text/json',
];

/** Headers no operation declares, with odd values. */
const EXTRA_HEADERS: readonly (readonly [string, string])[] = [
  ['X-HTTP-Method-Override', 'DELETE'],
  ['X-Forwarded-For', 'not-an-ip, 999.999.999.999'],
  ['Content-Length', '-1'],
  ['Content-Length', 'abc'],
  ['Transfer-Encoding', 'chunked'],
  ['Accept', 'application/xml'],
  ['Accept-Encoding', 'gzip;q=nan'],
  ['Expect', '100-continue'],
  ['Range', 'bytes=0-0'],
  ['Cookie', 'a=b; __proto__=x'],
  ['Origin', 'null'],
  ['User-Agent', 'u'.repeat(10_000)],
  ['X-Amzn-Trace-Id', 'Root=garbage'],
  ['__proto__', 'x'],
  ['constructor', 'x'],
];

const CONTROL_CHARACTERS: readonly string[] = ['\u0000', '\r\n', '\n', '\u0001', '\u007f', '\u001b[31m'];

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

export interface FuzzContext {
  /** Values of records that exist, by parameter or property name (`id`, `slug`). */
  readonly known: Readonly<Record<string, readonly string[]>>;
  /** Every property name the spec mentions: plausible unknown fields (`status`, `version`). */
  readonly propertyNames: readonly string[];
  /** Every header parameter the spec declares, on any operation. */
  readonly headerNames: readonly string[];
  /** Tenant plane: the tenant whose key every request carries (without it, no key is sent). */
  readonly tenant?: TenantTarget;
}

/**
 * The tenant a tenant-plane request is about: requests carry its key and name it (by path,
 * or by header or query under `/tenant/...`), so that a case gets past admission and its one
 * violation reaches validation and the handler instead of ending in a 401 or 403.
 */
export interface TenantTarget {
  /** Every name of the key's tenant: primary slug, an alias, its UUID. */
  readonly names: readonly string[];
  /** A live API key of that tenant holding every scope. */
  readonly key: string;
  /** Valid names that are not the key's tenant: another tenant's slug and UUID, unknown ones. */
  readonly others: readonly string[];
}

export function fuzzContext(
  known: Record<string, readonly string[]> = {},
  { spec = theSpec(), tenant }: { spec?: OpenApiDocument; tenant?: TenantTarget } = {},
): FuzzContext {
  const propertyNames = new Set<string>();
  const headerNames = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.properties && typeof record.properties === 'object')
        for (const k of Object.keys(record.properties)) propertyNames.add(k);
      if (record.in === 'header' && typeof record.name === 'string') headerNames.add(record.name);
      Object.values(record).forEach(walk);
    }
  };
  walk(spec);
  return {
    known,
    propertyNames: [...propertyNames].sort(),
    headerNames: [...headerNames].sort(),
    ...(tenant ? { tenant } : {}),
  };
}

/** A generated value (one that breaks a schema, or one it allows but that is hard to handle) and why. */
interface Bad {
  readonly value: Json;
  readonly why: string;
}

const bad =
  (why: string) =>
  (value: Json): Bad => ({ value, why });
const preview = (value: Json): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : jsonText(value);
  return text.length > 40 ? `${text.slice(0, 37)}...(${text.length} chars)` : text;
};

type Weighted<T> = { readonly arbitrary: fc.Arbitrary<T>; readonly weight: number };

// Some arbitraries take milliseconds to build; arbitraries are immutable, so build them once.
const RANDOM_UNICODE = fc.string({ unit: 'binary', maxLength: 20 });
const RANDOM_BYTES = fc.string({ unit: 'binary-ascii', maxLength: 20 });
const byPattern = new Map<string, fc.Arbitrary<string>>();
function matching(pattern: string): fc.Arbitrary<string> {
  const cached = byPattern.get(pattern);
  if (cached) return cached;
  const arbitrary = fc.stringMatching(new RegExp(pattern));
  byPattern.set(pattern, arbitrary);
  return arbitrary;
}

/** `fc.oneof` over weighted arbitraries, skipping empty lists and zero weights. */
function pick<T>(options: readonly (Weighted<T> | fc.Arbitrary<T> | undefined)[]): fc.Arbitrary<T> {
  const weighted = options
    .filter((o): o is Weighted<T> | fc.Arbitrary<T> => o !== undefined)
    .map((o) => ('arbitrary' in o ? o : { arbitrary: o, weight: 1 }))
    .filter((o) => o.weight > 0);
  if (weighted.length === 0) throw new Error('nothing to pick from');
  return fc.oneof(...weighted);
}

/** Values that match `schema` (the baseline a violation is applied to). */
export function validValue(
  schema: JsonSchema,
  ctx: FuzzContext,
  name?: string,
  /** How much likelier a known value (an existing record) is than a fresh one. */
  knownWeight = 1,
): fc.Arbitrary<Json> {
  const s = flat(schema);
  if (s.const !== undefined) return fc.constant(s.const as Json);
  if (s.enum) return fc.constantFrom(...(s.enum as Json[]));
  const known = name ? ctx.known[name] : undefined;
  switch (typeOf(s)) {
    case 'string': {
      const fresh = validString(s);
      return known?.length
        ? pick([{ arbitrary: fc.constantFrom(...known), weight: knownWeight }, fresh])
        : fresh;
    }
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = validValue(s.items ?? {}, ctx);
      const constraints = { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) };
      return s.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (v) => jsonText(v) })
        : fc.array(items, constraints);
    }
    case 'object':
      return validObject(s, ctx);
    default:
      return tameJson();
  }
}

function validString(s: JsonSchema): fc.Arbitrary<string> {
  const at = (from: string, to: string) =>
    fc.date({ min: new Date(from), max: new Date(to), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'date') return at('2000-01-01', '2099-12-31').map((d) => d.slice(0, 10));
  if (s.format === 'date-time') return at('2000-01-01', '2099-12-31');
  if (s.pattern) return matching(s.pattern);
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 40, 40));
  return pick([
    { arbitrary: fc.string({ minLength, maxLength }), weight: 3 },
    { arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }), weight: 1 },
  ]);
}

function validObject(s: JsonSchema, ctx: FuzzContext): fc.Arbitrary<Record<string, Json>> {
  const props = s.properties ?? {};
  if (Object.keys(props).length === 0 && s.additionalProperties !== false) return openObject(s);
  const model = Object.fromEntries(Object.entries(props).map(([k, p]) => [k, validValue(p, ctx, k)]));
  const record = fc.record(model, { requiredKeys: [...(s.required ?? [])] }) as fc.Arbitrary<
    Record<string, Json>
  >;
  const min = s.minProperties ?? 0;
  return min > 0 ? record.filter((o) => Object.keys(o).length >= min) : record;
}

/** Ordinary JSON: short strings, small integers, shallow arrays and objects. */
function tameJson(depth = 2): fc.Arbitrary<Json> {
  const scalar = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.boolean(),
    fc.constant(null),
  );
  if (depth === 0) return scalar;
  const inner = tameJson(depth - 1);
  return pick<Json>([
    { arbitrary: scalar, weight: 4 },
    { arbitrary: fc.array(inner, { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), inner, { maxKeys: 3 }), weight: 1 },
  ]);
}

/** A free-form object of ordinary JSON (hostile content comes from `hostileValue`). */
function openObject(s: JsonSchema): fc.Arbitrary<Record<string, Json>> {
  return fc
    .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), tameJson()), {
      maxLength: Math.min(s.maxProperties ?? 5, 5),
      selector: ([k]) => k,
    })
    .map((entries) => Object.fromEntries(entries));
}

/**
 * Values the schema allows that are hard on whatever stores or echoes them: NUL, lone
 * surrogates and traversal in free strings; odd keys, numbers beyond a double's integers or
 * DynamoDB's range, and deep nesting in free-form objects. Undefined when the schema allows
 * nothing hostile.
 */
export function hostileValue(schema: JsonSchema, ctx: FuzzContext): fc.Arbitrary<Bad> | undefined {
  const s = flat(schema);
  if (s.const !== undefined || s.enum || s.format || s.pattern) return undefined;
  switch (typeOf(s)) {
    case 'string': {
      const fits = HOSTILE_STRINGS.filter(
        (v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? 1e9),
      );
      return fits.length > 0
        ? fc.constantFrom(...fits).map((v) => ({ value: v, why: `hostile ${preview(v)}` }))
        : undefined;
    }
    case 'array': {
      const item = hostileValue(s.items ?? {}, ctx);
      if (!item || s.maxItems === 0) return undefined;
      return fc.tuple(validValue(s, ctx), item).map(([list, b]) => {
        const rest = (list as Json[]).filter((v) => jsonText(v) !== jsonText(b.value));
        return { value: [b.value, ...rest.slice(0, (s.maxItems ?? 1e9) - 1)], why: `item ${b.why}` };
      });
    }
    case 'object': {
      const props = s.properties ?? {};
      const options: Weighted<Bad>[] = [];
      for (const [key, prop] of Object.entries(props)) {
        const h = hostileValue(prop, ctx);
        if (h)
          options.push({
            weight: 1,
            arbitrary: fc
              .tuple(validObject(s, ctx), h)
              .map(([o, b]) => ({ value: { ...o, [key]: b.value }, why: `${key}: ${b.why}` })),
          });
      }
      if (Object.keys(props).length === 0 && s.additionalProperties !== false) {
        const entry = pick<[string, Json, string]>([
          fc
            .tuple(fc.constantFrom(...HOSTILE_KEYS), tameJson(0))
            .map(([k, v]) => [k, v, `key ${preview(k)}`]),
          fc
            .tuple(fc.string({ minLength: 1, maxLength: 8 }), HOSTILE_JSON)
            .map(([k, v]) => [k, v, `value ${preview(v)}`]),
        ]);
        options.push({
          weight: Math.max(1, options.length),
          arbitrary: fc.tuple(openObject(s), entry).map(([o, [k, v, why]]) => {
            const kept = Object.entries(o).slice(0, Math.max(0, (s.maxProperties ?? 1e9) - 1));
            // Built from entries so that a `__proto__` key stays a key, as JSON.parse makes it.
            return { value: Object.fromEntries([...kept, [k, v]]), why };
          }),
        });
      }
      return options.length > 0 ? pick(options) : undefined;
    }
    default:
      return undefined;
  }
}

/** Values of every JSON type but `type`. */
function wrongType(type: string | undefined): fc.Arbitrary<Bad> {
  const samples: Record<string, Json[]> = {
    null: [null],
    boolean: [true, false],
    integer: [0, 42, -7],
    number: [1.5, -0.25],
    string: ['x', '42', 'true'],
    array: [[], [1, 2], ['x'], [{}]],
    object: [{}, { a: 1 }, { $gt: '' }],
  };
  const others = Object.entries(samples)
    .filter(([t]) => t !== type && !(type === 'number' && t === 'integer'))
    .flatMap(([, values]) => values);
  return fc.constantFrom(...others).map((v) => ({ value: v, why: `wrong type ${preview(v)}` }));
}

/** Values that break `schema`: wrong types, out-of-range values, hostile strings, broken objects. */
export function invalidValue(schema: JsonSchema, ctx: FuzzContext, name?: string): fc.Arbitrary<Bad> {
  const s = flat(schema);
  const type = typeOf(s);
  const options: (Weighted<Bad> | undefined)[] = [{ arbitrary: wrongType(type), weight: 2 }];
  const add = (weight: number, arbitrary: fc.Arbitrary<Bad>) => options.push({ arbitrary, weight });

  if (s.enum) {
    const first = String(s.enum[0]);
    add(
      2,
      fc
        .constantFrom(first.toUpperCase(), `${first} `, `${first}\u0000`, s.enum.join(','), 'unknown', '')
        .map(bad('not in enum')),
    );
  }
  if (type === 'string') {
    const { maxLength, minLength } = s;
    if (maxLength !== undefined) {
      add(
        2,
        fc
          .constantFrom(
            'x'.repeat(maxLength + 1),
            '€'.repeat(maxLength + 1),
            '😀'.repeat(maxLength + 1),
            'x'.repeat(Math.min(maxLength * 50, 20_000)),
          )
          .map((v) => ({ value: v, why: `too long (${v.length} UTF-16 units)` })),
      );
    }
    if ((minLength ?? 0) > 0) add(1, fc.constant<Json>('').map(bad('too short')));
    const pattern = s.pattern ? new RegExp(s.pattern) : undefined;
    const strings = HOSTILE_STRINGS.filter((v) => !pattern?.test(v));
    add(
      3,
      fc.constantFrom(...strings).map((v) => ({ value: v, why: `hostile ${preview(v)}` })),
    );
    add(1, RANDOM_UNICODE.map(bad('random Unicode')));
    add(1, RANDOM_BYTES.map(bad('random bytes')));
    add(1, fc.constantFrom(...TOKEN_LIKE).map(bad('token-like')));
    // Near misses of a format are where lenient validators leak: weighted up.
    const nearMiss = s.format ? nearMissOf(s.format) : undefined;
    if (nearMiss) add(6, nearMiss);
    if (pattern) {
      // A matching value made to almost match: upper-cased, padded, cut.
      add(
        2,
        matching(s.pattern ?? '')
          .chain((v) =>
            fc.constantFrom(
              v.toUpperCase(),
              ` ${v}`,
              `${v}\n`,
              `${v}-`,
              v.slice(1),
              `${v}${v}${v}`,
              `${v}/x`,
            ),
          )
          .filter((v) => !pattern.test(v))
          .map(bad('near miss of the pattern')),
      );
    }
    const known = name ? ctx.known[name] : undefined;
    if (known?.length)
      add(
        1,
        fc
          .constantFrom(...known)
          .chain((v) => fc.constantFrom(v.toUpperCase(), `${v} `, `${v}%00`, encodeURIComponent(v)))
          .map(bad('known value, mangled')),
      );
  }
  if (type === 'integer' || type === 'number') {
    const values: Json[] = [
      1e300,
      -1e300,
      new RawNumber('1e400'),
      new RawNumber('9007199254740993'),
      new RawNumber('-0'),
    ];
    if (s.minimum !== undefined) values.push(s.minimum - 1, Number.MIN_SAFE_INTEGER);
    if (s.maximum !== undefined) values.push(s.maximum + 1, Number.MAX_SAFE_INTEGER);
    if (type === 'integer') values.push(1.5, (s.minimum ?? 0) + 0.000001);
    add(
      3,
      fc.constantFrom(...values).map((v) => ({ value: v, why: `out of range ${preview(v)}` })),
    );
  }
  if (type === 'boolean') add(1, fc.constantFrom<Json>('true', 1, 0, 'false').map(bad('boolean-ish')));
  if (type === 'array') {
    const items = s.items ?? {};
    const item = validValue(items, ctx);
    if (s.maxItems !== undefined) {
      const n = s.maxItems + 1;
      // n distinct items, unless the item schema has fewer values than that (an enum of
      // maxItems values: fast-check would search forever), then n items with repeats.
      const distinct = flat(items).enum?.length ?? Number.POSITIVE_INFINITY;
      add(
        2,
        (distinct >= n
          ? fc.uniqueArray(item, { minLength: n, maxLength: n, selector: (v) => jsonText(v) })
          : fc.array(item, { minLength: n, maxLength: n })
        ).map(bad(`${n} items`)),
      );
      add(1, fc.constant<Json>(Array.from({ length: 10_000 }, (_, i) => `i${i}`)).map(bad('10000 items')));
    }
    if (s.uniqueItems)
      add(
        2,
        item.map((v) => ({ value: [v, v], why: 'duplicate items' })),
      );
    add(
      3,
      fc.tuple(fc.array(item, { maxLength: 3 }), invalidValue(items, ctx), fc.nat()).map(([list, b, at]) => {
        const copy = [...list];
        copy.splice(at % (copy.length + 1), 0, b.value);
        return { value: copy, why: `item ${b.why}` };
      }),
    );
  }
  if (type === 'object') add(6, invalidObject(s, ctx));
  return pick(options);
}

function nearMissOf(format: string): fc.Arbitrary<Bad> | undefined {
  if (format === 'uuid') return nearMissUuid();
  if (format === 'date' || format === 'date-time') return nearMissDate();
  return undefined;
}

/** A valid object but for one top-level property with a near miss of its format. */
function formatNearMiss(schema: JsonSchema, ctx: FuzzContext): fc.Arbitrary<Bad> | undefined {
  const s = flat(schema);
  const options = Object.entries(s.properties ?? {}).flatMap(([key, prop]) => {
    const format = flat(prop).format;
    const nearMiss = format ? nearMissOf(format) : undefined;
    if (!nearMiss) return [];
    return [
      fc
        .tuple(validObject(s, ctx), nearMiss)
        .map(([o, b]) => ({ value: { ...o, [key]: b.value }, why: `${key}: ${b.why}` })),
    ];
  });
  return options.length > 0 ? pick(options) : undefined;
}

function nearMissUuid(): fc.Arbitrary<Bad> {
  return fc
    .tuple(fc.uuid(), fc.nat(8))
    .map(
      ([u, n]) =>
        [
          u.replace(/-/g, ''),
          `{${u}}`,
          `${u}x`,
          `${u}\n`,
          `urn:uuid:${u}`,
          u.slice(0, -1),
          `${u.slice(0, -1)}g`,
          `${u}/..`,
          u.replace(/-/g, '_'),
        ][n] as string,
    )
    .map(bad('near-miss UUID'));
}

function nearMissDate(): fc.Arbitrary<Bad> {
  return fc
    .constantFrom(
      // Well-formed, but no such day: the classic leak of a regex-only date check.
      '2024-02-30',
      '2023-02-29',
      '2100-02-29',
      '2024-04-31',
      '2024-06-31',
      '2024-02-31',
      // Malformed.
      '2024-13-01',
      '2024-00-10',
      '2024-1-1',
      '24-01-01',
      '0000-01-01',
      '9999-12-31',
      '+275760-09-13',
      '2024-01-01T25:61:61Z',
      '2024-01-01T00:00:00',
      'today',
    )
    .map(bad('near-miss date'));
}

/** Objects that break `s`: a required field missing, one field bad, an unknown field, sizes. */
function invalidObject(s: JsonSchema, ctx: FuzzContext): fc.Arbitrary<Bad> {
  const props = s.properties ?? {};
  const base = validObject(s, ctx);
  const options: (Weighted<Bad> | undefined)[] = [];
  const add = (weight: number, arbitrary: fc.Arbitrary<Bad>) => options.push({ arbitrary, weight });

  for (const key of s.required ?? []) {
    add(
      1,
      base.map((o) => {
        const { [key]: _, ...rest } = o;
        return { value: rest, why: `missing required ${key}` };
      }),
    );
  }
  for (const [key, prop] of Object.entries(props)) {
    const constrained = flat(prop).format !== undefined || flat(prop).pattern !== undefined;
    add(
      constrained ? 3 : 2,
      fc
        .tuple(base, invalidValue(prop, ctx, key))
        .map(([o, b]) => ({ value: { ...o, [key]: b.value }, why: `${key}: ${b.why}` })),
    );
  }
  if (s.additionalProperties === false) {
    const known = new Set(Object.keys(props));
    const plausible = ctx.propertyNames.filter((n) => !known.has(n));
    const name = pick([
      plausible.length > 0 ? { arbitrary: fc.constantFrom(...plausible), weight: 3 } : undefined,
      { arbitrary: fc.constantFrom(...HOSTILE_KEYS), weight: 2 },
      { arbitrary: fc.string({ minLength: 1, maxLength: 16 }).filter((k) => !known.has(k)), weight: 1 },
    ]);
    const value = pick<Json>([tameJson(), HOSTILE_JSON]);
    add(
      3,
      fc.tuple(base, name, value).map(([o, k, v]) => ({
        value: { ...o, [k]: v },
        why: `unknown property ${preview(k)}`,
      })),
    );
  }
  if ((s.minProperties ?? 0) > 0) add(1, fc.constant<Json>({}).map(bad('no properties')));
  if (s.maxProperties !== undefined) {
    const n = s.maxProperties + 1;
    const many = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    add(1, fc.constant<Json>(many).map(bad(`${n} properties`)));
  }
  add(1, wrongType('object'));
  return options.length > 0 ? pick(options) : wrongType('object');
}

/** The wire form of a parameter value: strings as they are, anything else as JSON text. */
function asText(value: Json): string {
  return typeof value === 'string' ? value : jsonText(value);
}

/** Parameter values (text on the wire) that break `schema`, and near misses of valid ones. */
function invalidText(
  schema: JsonSchema,
  ctx: FuzzContext,
  name?: string,
): fc.Arbitrary<{ text: string; why: string }> {
  return pick([
    {
      arbitrary: invalidValue(schema, ctx, name).map((b) => ({ text: asText(b.value), why: b.why })),
      weight: 5,
    },
    {
      arbitrary: fc
        .constantFrom('0', '-1', '1.5', '1e3', '0x10', '+5', ' 5', '5 ', '99999999999999999999', 'NaN')
        .map((text) => ({ text, why: 'number-ish' })),
      weight: 1,
    },
    {
      arbitrary: validValue(schema, ctx, name)
        .map(asText)
        .chain((v) => fc.constantFrom(`${v}\u0000`, `${v}\n`, `${v},${v}`, `${v}%2F..`, `${v};x`))
        .map((text) => ({ text, why: 'valid value with junk' })),
      weight: 1,
    },
  ]);
}

function validText(
  schema: JsonSchema,
  ctx: FuzzContext,
  name?: string,
  knownWeight = 1,
): fc.Arbitrary<string> {
  return validValue(schema, ctx, name, knownWeight).map(asText);
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** A header's value; a list is sent as one header line per value (a repeated header). */
export type HeaderValue = string | readonly string[];

export interface FuzzCase {
  /** What was broken, for the report. */
  readonly label: string;
  readonly method: string;
  /** Path and query string, as on the wire. */
  readonly url: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** Text, or bytes (for bodies that are not UTF-8). */
  readonly body?: string | Uint8Array;
  /**
   * The wire input itself is malformed (not JSON, not well-formed Unicode, control characters
   * in a header, raw query bytes): the spec may have no status for what comes back.
   */
  readonly malformedWire: boolean;
}

interface Body {
  readonly text: string | Uint8Array;
  readonly contentType: string | undefined;
  /** False when the text is not well-formed JSON in well-formed Unicode. */
  readonly wellFormed: boolean;
}

/** A request before it is put on the wire: path values are encoded unless `raw`. */
interface Draft {
  readonly path: Readonly<Record<string, { readonly text: string; readonly raw: boolean }>>;
  readonly query: readonly (readonly [string, string])[];
  readonly rawQuery?: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly body?: Body;
}

interface Mutation {
  readonly label: string;
  readonly apply: (draft: Draft) => Draft;
}

const mutation = (label: string, apply: (draft: Draft) => Draft): Mutation => ({ label, apply });

const setPath = (name: string, text: string, raw: boolean) => (d: Draft) => ({
  ...d,
  path: { ...d.path, [name]: { text, raw } },
});
const setQuery =
  (name: string, ...values: string[]) =>
  (d: Draft): Draft => ({
    ...d,
    query: [...d.query.filter(([k]) => k !== name), ...values.map((v) => [name, v] as const)],
  });
const setHeaders = (headers: Record<string, HeaderValue>) => (d: Draft) => ({
  ...d,
  headers: { ...d.headers, ...headers },
});
const setBody =
  (body: Body | undefined) =>
  ({ body: _, ...rest }: Draft): Draft =>
    body === undefined ? rest : { ...rest, body };

/** Constants as a weighted option, or nothing when there are none. */
function constants<T>(values: readonly T[], weight = 1): Weighted<T> | undefined {
  return values.length > 0 ? { arbitrary: fc.constantFrom(...values), weight } : undefined;
}

/** Percent-encoding that survives lone surrogates (sent as their WTF-8 bytes: invalid UTF-8). */
export function encodeLoose(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** Characters a real HTTP stack refuses in a header value. */
const ILLEGAL_IN_HEADER = /[^\t\x20-\x7e\x80-\xff]/;

function render(op: OperationModel, draft: Draft, label: string): FuzzCase {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const p = draft.path[name] ?? { text: '', raw: false };
    return p.raw ? p.text : encodeLoose(p.text);
  });
  const query = [
    ...draft.query.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`),
    ...(draft.rawQuery === undefined ? [] : [draft.rawQuery]),
  ].join('&');
  const headers: Record<string, HeaderValue> = { ...draft.headers };
  const { body } = draft;
  if (body?.contentType !== undefined && !Object.keys(headers).some((h) => /^content-type$/i.test(h)))
    headers['content-type'] = body.contentType;
  return {
    label,
    method: op.method,
    url: query ? `${path}?${query}` : path,
    headers,
    ...(body === undefined ? {} : { body: body.text }),
    malformedWire:
      draft.rawQuery !== undefined ||
      Object.values(headers)
        .flat()
        .some((v) => ILLEGAL_IN_HEADER.test(v)) ||
      (body !== undefined && !body.wellFormed),
  };
}

/** `arbitrary`'s values with probability `p`, null otherwise. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | null> {
  return fc.oneof(
    { arbitrary, weight: Math.round(p * 100) },
    { arbitrary: fc.constant(null), weight: Math.round((1 - p) * 100) },
  );
}

/** A valid request: every path parameter, some query parameters and headers, a valid body. */
function baseline(op: OperationModel, ctx: FuzzContext): fc.Arbitrary<Draft> {
  const entries = (where: ParameterModel['in']) =>
    fc
      .tuple(
        ...op.parameters
          .filter((p) => p.in === where)
          .map((p) => {
            // Path parameters name existing records three times in four, to get past the 404.
            const knownWeight = where === 'path' ? 3 : 1;
            const entry = validText(p.schema, ctx, p.name, knownWeight).map((v): [string, string] => [
              p.name,
              v,
            ]);
            // Optional parameters half the time; an optional header (If-Match) one time in five,
            // since a random one ends most requests early.
            return p.required ? entry : sometimes(entry, where === 'header' ? 0.2 : 0.5);
          }),
      )
      .map((list) => list.filter((e): e is [string, string] => e !== null));
  const rb = op.requestBody;
  const validBody = rb
    ? validValue(rb.schema, ctx).map(
        (v): Body => ({ text: jsonText(v), contentType: rb.mediaTypes[0], wellFormed: true }),
      )
    : undefined;
  const body = validBody ? (rb?.required ? validBody : sometimes(validBody, 0.7)) : fc.constant(null);
  const draft = fc
    .record({ path: entries('path'), query: entries('query'), headers: entries('header'), body })
    .map(({ path, query, headers, body: b }) => ({
      path: Object.fromEntries(path.map(([k, text]) => [k, { text, raw: false }])),
      query,
      headers: Object.fromEntries(headers),
      ...(b === null ? {} : { body: b }),
    }));
  const tenant = tenantOf(op, ctx);
  return tenant
    ? fc
        .tuple(draft, tenantSelection(op, tenant), credential(tenant.key))
        .map(([d, select, credit]) => credit(select(d)))
    : draft;
}

function pathMutations(op: OperationModel, ctx: FuzzContext): Weighted<Mutation>[] {
  return op.parameters
    .filter((p) => p.in === 'path')
    .flatMap((p): Weighted<Mutation>[] => [
      {
        weight: 4,
        arbitrary: invalidText(p.schema, ctx, p.name).map(({ text, why }) =>
          mutation(`path ${p.name}: ${why}`, setPath(p.name, text, false)),
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(...RAW_SEGMENTS)
          .map((text) =>
            mutation(`path ${p.name}: raw ${JSON.stringify(text)}`, setPath(p.name, text, true)),
          ),
      },
      {
        // Well-formed but naming nothing (404 is the right answer).
        weight: 1,
        arbitrary: validText(p.schema, ctx).map((text) =>
          mutation(`path ${p.name}: well-formed, probably unknown`, setPath(p.name, text, false)),
        ),
      },
    ]);
}

function queryMutations(op: OperationModel, ctx: FuzzContext): Weighted<Mutation>[] {
  const declared = op.parameters.filter((p) => p.in === 'query');
  const names = declared.map((p) => p.name);
  const anyText = pick([constants(HOSTILE_STRINGS, 2), fc.string({ maxLength: 10 })]);
  const valueFor = (name: string) => {
    const p = declared.find((d) => d.name === name);
    return p ? pick([validText(p.schema, ctx, p.name), anyText]) : anyText;
  };
  const unknownName = pick([
    constants(
      ctx.propertyNames.filter((n) => !names.includes(n)),
      2,
    ),
    constants(HOSTILE_KEYS.filter((k) => k !== '')),
    constants(
      ['x', ...names.flatMap((n) => [`${n}[]`, `${n}[$ne]`, n.toUpperCase(), ` ${n}`, `${n}\u0000`])],
      2,
    ),
  ]);
  return [
    ...declared.map((p) => ({
      weight: 3,
      arbitrary: invalidText(p.schema, ctx, p.name).map(({ text, why }) =>
        mutation(`query ${p.name}: ${why}`, setQuery(p.name, text)),
      ),
    })),
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...names, 'x')
        .chain((n) => fc.tuple(fc.constant(n), valueFor(n), valueFor(n)))
        .map(([n, a, b]) => mutation(`query ${n}: repeated`, setQuery(n, a, b))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(unknownName, anyText)
        .map(([n, v]) => mutation(`query: unknown parameter ${preview(n)}`, setQuery(n, v))),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...names, 'x')
        .map((n) => mutation(`query ${n}: empty value`, setQuery(n, ''))),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...names, 'x'), fc.constantFrom('\u0000', 'a\u0000', '\u0000a'))
        .map(([n, v]) => mutation(`query ${n}: NUL in the value`, setQuery(n, v))),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...RAW_QUERIES, ...names)
        .map((q) => mutation(`query: raw ${JSON.stringify(q.slice(0, 30))}`, (d) => ({ ...d, rawQuery: q }))),
    },
  ];
}

function headerMutations(op: OperationModel, ctx: FuzzContext): Weighted<Mutation>[] {
  const declared = op.parameters.filter((p) => p.in === 'header');
  // Headers other operations declare are sent here too: ignored, they must not trip anything.
  const names = [...new Set([...declared.map((p) => p.name), ...ctx.headerNames])];
  const perHeader = names.map((name): Weighted<Mutation> => {
    const schema = declared.find((p) => p.name === name)?.schema ?? { type: 'string' };
    const value = pick([
      { arbitrary: invalidText(schema, ctx, name), weight: 3 },
      {
        arbitrary: fc
          .tuple(validText(schema, ctx, name), fc.constantFrom(...CONTROL_CHARACTERS), fc.nat())
          .map(([v, c, at]) => {
            const i = at % (v.length + 1);
            return { text: v.slice(0, i) + c + v.slice(i), why: `control character ${JSON.stringify(c)}` };
          }),
        weight: 2,
      },
      {
        arbitrary: fc
          .constantFrom(255, 256, 300, 10_000)
          .map((n) => ({ text: 'k'.repeat(n), why: `${n} characters` })),
        weight: 1,
      },
      { arbitrary: fc.constantFrom(...TOKEN_LIKE).map((text) => ({ text, why: 'token-like' })), weight: 2 },
    ]);
    return {
      weight: declared.some((p) => p.name === name) ? 4 : 1,
      arbitrary: value.map(({ text, why }) =>
        mutation(`header ${name}: ${why}`, setHeaders({ [name]: text })),
      ),
    };
  });
  return [
    ...perHeader,
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...EXTRA_HEADERS)
        .map(([name, value]) => mutation(`header ${name}: undeclared`, setHeaders({ [name]: value }))),
    },
    {
      // The same header on two lines: credentials, tenant header, Idempotency-Key, If-Match.
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...names, 'Authorization', 'X-Api-Key', 'Content-Type'),
          fc.constantFrom(...TOKEN_LIKE, 'text/plain', 'application/json'),
          fc.boolean(),
        )
        .map(([name, value, same]) =>
          mutation(
            `header ${name}: two lines${same ? ', same value' : ''}`,
            setHeaders({ [name]: [value, same ? value : `${value}x`] }),
          ),
        ),
    },
    {
      // The same header twice, spelled differently.
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...names, 'Content-Type'), fc.constantFrom(...TOKEN_LIKE, 'text/plain'))
        .map(([name, value]) =>
          mutation(
            `header ${name}: sent twice`,
            setHeaders({ [name.toLowerCase()]: value, [name.toUpperCase()]: `${value}x` }),
          ),
        ),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The tenant plane
// ---------------------------------------------------------------------------------------------

/** The header that names the tenant under `/tenant/...` (TENANT_REGISTRY_TENANT_HEADER's default). */
const TENANT_HEADER = 'X-Tenant-ID';
/** The path parameter that names the tenant (or is the literal `tenant`). */
const TENANT_PATH = 'tenant';

const tenantOf = (op: OperationModel, ctx: FuzzContext): TenantTarget | undefined =>
  op.plane === 'tenant' ? ctx.tenant : undefined;

const withoutHeader =
  (name: string) =>
  (d: Draft): Draft => ({
    ...d,
    headers: Object.fromEntries(
      Object.entries(d.headers).filter(([k]) => k.toLowerCase() !== name.toLowerCase()),
    ),
  });

/** Both ways of naming a tenant cleared, then `apply`: the selection a case starts from. */
const selecting =
  (apply: (d: Draft) => Draft) =>
  (d: Draft): Draft =>
    apply(setQuery(TENANT_QUERY)(withoutHeader(TENANT_HEADER)(d)));

/**
 * A valid way of naming the target tenant: mostly the path form alone; sometimes with an
 * agreeing header or query (another of its names, in any case); sometimes the selected form.
 */
function tenantSelection(op: OperationModel, t: TenantTarget): fc.Arbitrary<(d: Draft) => Draft> {
  const name = fc.constantFrom(...t.names);
  const spelled = fc
    .tuple(name, fc.constantFrom('as is', 'upper', 'padded'))
    .map(([n, how]) => (how === 'upper' ? n.toUpperCase() : how === 'padded' ? ` ${n} ` : n));
  const path = (n: string) => setPath(TENANT_PATH, n, false);
  const declaresHeader = op.parameters.some((p) => p.in === 'header' && p.name === TENANT_HEADER);
  return pick<(d: Draft) => Draft>([
    { weight: 12, arbitrary: name.map((n) => selecting(path(n))) },
    declaresHeader
      ? {
          weight: 2,
          arbitrary: fc
            .tuple(name, spelled)
            .map(([n, h]) => selecting((d) => setHeaders({ [TENANT_HEADER]: h })(path(n)(d)))),
        }
      : undefined,
    {
      weight: 2,
      arbitrary: fc
        .tuple(name, spelled)
        .map(([n, q]) => selecting((d) => setQuery(TENANT_QUERY, q)(path(n)(d)))),
    },
    declaresHeader
      ? {
          weight: 3,
          arbitrary: spelled.map((h) =>
            selecting((d) => setHeaders({ [TENANT_HEADER]: h })(path(SELECTED_FORM)(d))),
          ),
        }
      : undefined,
    {
      weight: 1,
      arbitrary: spelled.map((q) => selecting((d) => setQuery(TENANT_QUERY, q)(path(SELECTED_FORM)(d)))),
    },
  ]);
}

/** The key as a Bearer token mostly, as X-Api-Key sometimes, now and then both (agreeing). */
function credential(key: string): fc.Arbitrary<(d: Draft) => Draft> {
  return fc.constantFrom(
    setHeaders({ authorization: `Bearer ${key}` }),
    setHeaders({ authorization: `Bearer ${key}` }),
    setHeaders({ authorization: `Bearer ${key}` }),
    setHeaders({ 'x-api-key': key }),
    setHeaders({ authorization: `Bearer ${key}`, 'x-api-key': key }),
  );
}

/** Tenant names that break naive code: lookalikes, odd Unicode, case and size games. */
const HOSTILE_TENANT_NAMES: readonly string[] = [
  'ａｃｍｅ',
  'acmé',
  'ac​me',
  'acmé',
  'İstanbul',
  'ß-tenant',
  '😀😀😀',
  '‮emca',
  'a',
  'ab',
  'a-',
  '-ab',
  'ab-',
  'a--b',
  'a'.repeat(41),
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(10_000),
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{00000000-0000-4000-8000-000000000000}',
  'tenant',
  'TENANT',
  'Tenant',
  'acme,acme',
  'acme acme',
  '*',
  '%',
  '.',
];

/**
 * Violations of how a tenant-plane request names its tenant and presents its key: bad
 * `{tenant}` segments (reserved words, other tenants, lookalikes), bad X-Tenant-ID headers and
 * tenant_id queries (garbage, huge, Unicode, repeated, conflicting), bad credentials.
 */
function tenantMutations(op: OperationModel, ctx: FuzzContext): Weighted<Mutation>[] {
  const t = tenantOf(op, ctx);
  if (!t) return [];
  const own = fc.constantFrom(...t.names);
  const other = fc.constantFrom(...t.others);
  const garbage = pick<string>([
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_TENANT_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom(...RESERVED_SLUGS) },
    { weight: 1, arbitrary: RANDOM_UNICODE },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }) },
    { weight: 1, arbitrary: fc.constantFrom(...TOKEN_LIKE) },
  ]);
  const path = (n: string, raw = false) => setPath(TENANT_PATH, n, raw);
  const header = (v: string) => setHeaders({ [TENANT_HEADER]: v });
  const query = (...v: string[]) => setQuery(TENANT_QUERY, ...v);
  const m = (label: string, apply: (d: Draft) => Draft) => mutation(label, selecting(apply));
  const then =
    (...steps: ((d: Draft) => Draft)[]) =>
    (d: Draft) =>
      steps.reduce((x, f) => f(x), d);
  return [
    // `{tenant}`
    {
      weight: 3,
      arbitrary: garbage.map((g) => m(`path tenant: ${preview(g)}`, path(g))),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...RESERVED_SLUGS).map((w) => m(`path tenant: reserved word ${w}`, path(w))),
    },
    { weight: 2, arbitrary: other.map((n) => m('path tenant: another tenant', path(n))) },
    {
      weight: 1,
      arbitrary: fc.constant(m('path tenant: selected form, nothing selecting', path(SELECTED_FORM))),
    },
    {
      weight: 1,
      arbitrary: own.map((n) =>
        m(
          'path tenant: percent-encoded name',
          path(
            encodeLoose(n).replace(/[a-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16)}`),
            true,
          ),
        ),
      ),
    },
    // X-Tenant-ID
    {
      weight: 3,
      arbitrary: fc
        .tuple(own, garbage, fc.boolean())
        .map(([n, g, selected]) =>
          m(
            `header ${TENANT_HEADER}: ${preview(g)}${selected ? ' (selected form)' : ''}`,
            then(path(selected ? SELECTED_FORM : n), header(g)),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(own, fc.constantFrom(65, 1000, 8000, 60_000), fc.constantFrom('a', 'é', '😀', '-'))
        .map(([n, size, ch]) =>
          m(`header ${TENANT_HEADER}: ${size} x ${ch}`, then(path(n), header(ch.repeat(size)))),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(own, other)
        .map(([n, o]) =>
          m(`header ${TENANT_HEADER}: another tenant than the path's`, then(path(n), header(o))),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(own, other, fc.boolean()).map(([n, o, ownFirst]) =>
        m(
          `header ${TENANT_HEADER}: sent twice, spelled differently`,
          then(
            path(SELECTED_FORM),
            setHeaders({
              [TENANT_HEADER.toLowerCase()]: ownFirst ? n : o,
              [TENANT_HEADER.toUpperCase()]: ownFirst ? o : n,
            }),
          ),
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(own, fc.oneof(own, other))
        .map(([n, second]) =>
          m(
            `header ${TENANT_HEADER}: two lines`,
            then(path(SELECTED_FORM), setHeaders({ [TENANT_HEADER]: [n, second] })),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(own, other)
        .map(([n, o]) =>
          m(
            `header ${TENANT_HEADER} and query ${TENANT_QUERY} disagree`,
            then(path(SELECTED_FORM), header(n), query(o)),
          ),
        ),
    },
    // tenant_id
    {
      weight: 3,
      arbitrary: fc
        .tuple(own, garbage, fc.boolean())
        .map(([n, g, selected]) =>
          m(
            `query ${TENANT_QUERY}: ${preview(g)}${selected ? ' (selected form)' : ''}`,
            then(path(selected ? SELECTED_FORM : n), query(g)),
          ),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(own, fc.oneof(own, other, garbage), fc.boolean())
        .map(([n, second, selected]) =>
          m(`query ${TENANT_QUERY}: repeated`, then(path(selected ? SELECTED_FORM : n), query(n, second))),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(own, other)
        .map(([n, o]) => m(`query ${TENANT_QUERY}: another tenant than the path's`, then(path(n), query(o)))),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          own,
          fc.constantFrom(
            `${TENANT_QUERY}[]`,
            `${TENANT_QUERY}[$ne]`,
            TENANT_QUERY.toUpperCase(),
            'tenant',
            'tenantId',
          ),
        )
        .map(([n, q]) =>
          m(`query: ${q} instead of ${TENANT_QUERY}`, then(path(SELECTED_FORM), setQuery(q, n))),
        ),
    },
    // The credential.
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          own,
          fc.constantFrom<readonly [string, Record<string, HeaderValue>]>(
            ['no credential', {}],
            ['Basic scheme', { authorization: `Basic ${t.key}` }],
            ['bearer without a key', { authorization: 'Bearer' }],
            ['key with trailing junk', { authorization: `Bearer ${t.key}x` }],
            ['key cut short', { authorization: `Bearer ${t.key.slice(0, -1)}` }],
            ['key upper-cased', { authorization: `Bearer ${t.key.toUpperCase()}` }],
            ['two keys that differ', { authorization: `Bearer ${t.key}`, 'x-api-key': `${t.key}x` }],
            ['empty X-Api-Key', { 'x-api-key': '' }],
            ['prefix only', { 'x-api-key': 'trk_' }],
            ['huge key', { 'x-api-key': `trk_${'a'.repeat(10_000)}` }],
            ['key in two Bearer words', { authorization: `Bearer ${t.key} ${t.key}` }],
            ['key on two Authorization lines', { authorization: [`Bearer ${t.key}`, `Bearer ${t.key}`] }],
            ['key on two X-Api-Key lines', { 'x-api-key': [t.key, t.key] }],
            ['key and a wrong key on two lines', { authorization: [`Bearer ${t.key}`, `Bearer ${t.key}x`] }],
          ),
        )
        .map(([n, [label, headers]]) =>
          mutation(
            `credential: ${label}`,
            then(withoutHeader('authorization'), withoutHeader('x-api-key'), path(n), setHeaders(headers)),
          ),
        ),
    },
  ];
}

/**
 * Tenant-plane POSTs take their parameters from the query string and the body, merged, the
 * body winning: each body property sent (badly) through the query, alone, under a valid body
 * value, over an invalid one, and the whole body moved to the query.
 */
function mergedMutations(op: OperationModel, ctx: FuzzContext): Weighted<Mutation>[] {
  const rb = op.requestBody;
  if (!tenantOf(op, ctx) || op.method !== 'POST' || !rb) return [];
  const schema = flat(rb.schema);
  const props = Object.entries(schema.properties ?? {});
  const json = rb.mediaTypes[0] ?? 'application/json';
  const asBody = (o: Record<string, Json>): Body => ({
    text: jsonText(o),
    contentType: json,
    wellFormed: true,
  });
  const objectOf = (v: Json): Record<string, Json> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawNumber) ? v : {};
  const validBody = validValue(schema, ctx).map(objectOf);
  return [
    ...props.map(([key, prop]) => ({
      weight: 3,
      arbitrary: fc
        .tuple(
          validBody,
          invalidText(prop, ctx, key),
          fc.constantFrom('query only', 'under a valid body value'),
        )
        .map(([o, { text, why }, how]) => {
          const { [key]: _, ...rest } = o;
          return mutation(`query ${key} (merged): ${why}, ${how}`, (d: Draft) =>
            setQuery(key, text)(setBody(asBody(how === 'query only' ? rest : o))(d)),
          );
        }),
    })),
    ...props.map(([key, prop]) => ({
      weight: 2,
      arbitrary: fc
        .tuple(validBody, validText(prop, ctx, key), invalidValue(prop, ctx, key))
        .map(([o, q, b]) =>
          mutation(`body ${key} (merged): ${b.why}, over a valid query value`, (d: Draft) =>
            setQuery(key, q)(setBody(asBody({ ...o, [key]: b.value }))(d)),
          ),
        ),
    })),
    {
      weight: 2,
      arbitrary: validBody.map((o) =>
        mutation('body (merged): moved to the query string', (d: Draft) => ({
          ...setBody(undefined)(d),
          // A list goes comma-separated, as the merge documents.
          query: [
            ...d.query,
            ...Object.entries(o).map(([k, v]): [string, string] => [
              k,
              Array.isArray(v) ? v.map(asText).join(',') : asText(v),
            ]),
          ],
        })),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          validBody,
          fc.constantFrom(...HOSTILE_KEYS.filter((k) => k !== '')),
          fc.constantFrom(...HOSTILE_STRINGS),
        )
        .map(([o, k, v]) =>
          mutation(`query (merged): hostile key ${preview(k)}`, (d: Draft) =>
            setQuery(k, v)(setBody(asBody(o))(d)),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(mutation('body (merged): none, no query either', setBody(undefined))),
    },
  ];
}

/** Ways to spoil the text of a valid JSON body: [label, mangle, still well-formed JSON?]. */
const TEXT_MANGLERS: readonly (readonly [string, (text: string, n: number) => string, boolean])[] = [
  ['truncated', (t, n) => t.slice(0, n % Math.max(t.length, 1)), false],
  ['trailing comma', (t) => t.replace(/}\s*$/, ',}'), false],
  ['single quotes', (t) => t.replace(/"/g, "'"), false],
  ['byte order mark', (t) => `\ufeff${t}`, false],
  ['comment', (t) => `/* c */${t}`, false],
  ['two documents', (t) => `${t}${t}`, false],
  ['trailing garbage', (t) => `${t}x`, false],
  ['NaN', (t) => t.replace(/}\s*$/, ',"n":NaN}'), false],
  ['raw NUL in a string', (t) => t.replace('"', '"\u0000'), false],
  ['raw newline in a string', (t) => t.replace('"', '"\n'), false],
  ['lone surrogate in a string', (t) => t.replace('"', '"\ud800'), false],
  ['replacement characters in a string', (t) => t.replace('"', '"\ufffd\ufffd'), true],
  ['duplicate key', (t) => t.replace(/^\{"([^"]*)"/, '{"$1":null,"$1"'), true],
  [
    'duplicate key, the second spelled with an escape',
    (t) =>
      t.replace(
        /^\{"([a-z])([^"\\]*)"/,
        (_, c: string, rest: string) => `{"${c}${rest}":null,"\\u00${c.charCodeAt(0).toString(16)}${rest}"`,
      ),
    true,
  ],
  ['duplicate key, nested', (t) => withMember(t, '"nested":{"list":[{"k":1,"k":2}]}'), true],
  ['escaped NUL in a string', (t) => t.replace(/:"/, ':"\\u0000'), true],
  ['escaped NUL in a key', (t) => withMember(t, '"a\\u0000b":1'), true],
  ['only whitespace', () => '   \n', false],
  ['unterminated nesting', () => '['.repeat(10_000), false],
  ['deeply nested array', () => `${'['.repeat(5000)}${']'.repeat(5000)}`, true],
  ['latin-1 mojibake', (t) => Buffer.from(t, 'utf8').toString('latin1'), true],
];

/** `member` (JSON text `"k":v`) as the first member of the object text `t`. */
function withMember(t: string, member: string): string {
  const trimmed = t.trim();
  if (!trimmed.startsWith('{')) return t;
  return trimmed === '{}' ? `{${member}}` : `{${member},${trimmed.slice(1)}`;
}

/** Byte sequences that are not UTF-8, for bodies that must be refused rather than read with U+FFFD. */
const NOT_UTF8: readonly (readonly [string, readonly number[]])[] = [
  ['0xFF', [0xff]],
  ['a stray continuation byte', [0x80]],
  ['an overlong slash', [0xc0, 0xaf]],
  ['a surrogate encoded as UTF-8', [0xed, 0xa0, 0x80]],
  ['a truncated sequence', [0xe2, 0x82]],
  ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['Latin-1 ü', [0xfc]],
];

/** `text` as UTF-8 with `bad` inside its first string value (or after the opening brace). */
function withBadBytes(text: string, bad: readonly number[]): Uint8Array {
  const at = text.indexOf(':"');
  const cut = at === -1 ? Math.min(1, text.length) : at + 2;
  return Buffer.concat([Buffer.from(text.slice(0, cut)), Buffer.from(bad), Buffer.from(text.slice(cut))]);
}

function bodyMutations(op: OperationModel, ctx: FuzzContext): Weighted<Mutation>[] {
  const rb = op.requestBody;
  // Operations without a body get bodies too: they must ignore them.
  const json = rb?.mediaTypes[0] ?? 'application/json';
  const validObjectBody = rb ? validValue(rb.schema, ctx) : fc.constant<Json>({ a: 1 });
  const validBody = validObjectBody.map(jsonText);
  const withBody = (
    label: string,
    text: string | Uint8Array,
    contentType: string | undefined,
    wellFormed = true,
  ) => mutation(label, setBody({ text, contentType, wellFormed }));
  const entries = (v: Json) => Object.entries(v !== null && typeof v === 'object' ? v : {});

  return [
    rb && {
      weight: 10,
      arbitrary: invalidValue(rb.schema, ctx).map((b) => withBody(`body ${b.why}`, jsonText(b.value), json)),
    },
    rb && {
      weight: 3,
      arbitrary: formatNearMiss(rb.schema, ctx)?.map((b) =>
        withBody(`body ${b.why}`, jsonText(b.value), json),
      ),
    },
    rb && {
      weight: 5,
      arbitrary: hostileValue(rb.schema, ctx)?.map((b) =>
        withBody(`body (schema-valid) ${b.why}`, jsonText(b.value), json),
      ),
    },
    rb?.required
      ? { weight: 1, arbitrary: fc.constant(mutation('body: none', setBody(undefined))) }
      : undefined,
    {
      weight: rb ? 4 : 1,
      arbitrary: fc
        .tuple(validBody, fc.constantFrom(...TEXT_MANGLERS), fc.nat())
        .map(([text, [name, mangle, ok], n]) => withBody(`body text: ${name}`, mangle(text, n), json, ok)),
    },
    {
      weight: rb ? 2 : 1,
      arbitrary: fc
        .tuple(validBody, fc.constantFrom(...NOT_UTF8))
        .map(([text, [name, bad]]) => withBody(`body bytes: ${name}`, withBadBytes(text, bad), json, false)),
    },
    {
      // Exactly the documented 64 KiB, just over it, and well over it.
      weight: rb ? 2 : 1,
      arbitrary: fc.tuple(validBody, fc.constantFrom(65_536, 65_537, 70_000, 300_000)).map(([text, size]) => {
        const padded = `${text}${' '.repeat(Math.max(0, size - Buffer.byteLength(text)))}`;
        return withBody(`body of ${Buffer.byteLength(padded)} bytes`, padded, json);
      }),
    },
    {
      // Fewer characters than the limit, more bytes.
      weight: 1,
      arbitrary: validObjectBody.map((v) =>
        withBody(
          'body: multi-byte text over the limit',
          jsonText(Object.fromEntries([...entries(v), ['pad', '€'.repeat(22_000)]])),
          json,
        ),
      ),
    },
    {
      weight: rb ? 3 : 1,
      arbitrary: fc
        .tuple(validBody, fc.constantFrom(...CONTENT_TYPES))
        .map(([text, type]) => withBody(`content-type ${JSON.stringify(type ?? null)}`, text, type)),
    },
    {
      weight: 1,
      arbitrary: validObjectBody.map((v) =>
        withBody(
          'body as a form',
          new URLSearchParams(entries(v).map(([k, x]): [string, string] => [k, asText(x)])).toString(),
          'application/x-www-form-urlencoded',
        ),
      ),
    },
  ].filter((m): m is Weighted<Mutation> => m?.arbitrary !== undefined);
}

/**
 * Bad requests for `op`: a valid-looking request with exactly one violation, and now and then
 * an entirely valid one (so state moves and later requests meet real records).
 */
export function badRequests(op: OperationModel, ctx: FuzzContext): fc.Arbitrary<FuzzCase> {
  const groups: (readonly [number, Weighted<Mutation>[]])[] = [
    [op.requestBody ? 25 : 40, pathMutations(op, ctx)],
    [20, queryMutations(op, ctx)],
    [15, headerMutations(op, ctx)],
    [op.requestBody ? 45 : 10, bodyMutations(op, ctx)],
    [30, tenantMutations(op, ctx)],
    [25, mergedMutations(op, ctx)],
  ];
  const options: Weighted<Mutation>[] = groups
    .filter(([, list]) => list.length > 0)
    .map(([weight, list]) => ({ weight, arbitrary: pick(list) }));
  options.push({ weight: 4, arbitrary: fc.constant(mutation('valid', (d) => d)) });
  return fc.tuple(baseline(op, ctx), pick(options)).map(([draft, m]) => render(op, m.apply(draft), m.label));
}

/**
 * Valid requests for `op` (no violation), naming existing records three times in four: for
 * suites that need an operation to do its work rather than refuse it, such as the least
 * privilege proof driving an operation it has no scenario for.
 */
export function validRequests(op: OperationModel, ctx: FuzzContext): fc.Arbitrary<FuzzCase> {
  return baseline(op, ctx).map((draft) => render(op, draft, 'valid'));
}
