import * as z from 'zod/mini';

/**
 * Request schemas shared by handlers. Objects are strict: an unknown field is a 400.
 * Import `z` from 'zod/mini' directly, never through here: a re-exported namespace keeps all
 * of zod (every locale, ~420 KB) in each bundle.
 */

export const uuid = z.pipe(
  z
    .string()
    .check(
      z.regex(
        /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
        'must be a UUID',
      ),
    ),
  z.transform((v) => v.toLowerCase()),
);

/** Slug shape only; the reserved-word rule lives in the domain, with its own message. */
export const slug = z.string().check(z.maxLength(64));

export const identifier = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 of a-z, 0-9, ".", "_", "-"'));

export const identifierList = z.array(identifier).check(
  z.maxLength(100),
  z.refine((list) => new Set(list).size === list.length, 'must not repeat an entry'),
);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/*
 * The limits of a free-form JSON object (`settings`, an entitlement's `config`, an audit
 * event's `metadata`), at every level and in total, so that nothing nested escapes them: a
 * value is stored whole in one item, hashed into the audit chain and echoed in every read.
 */
/** Keys and indexes from the top to any value: `{"a":{"b":[1]}}` holds 1 at depth 3. */
const MAX_DEPTH = 8;
/** Keys of any one object, at any depth. */
const MAX_KEYS = 100;
/** Keys of all objects in the value together. */
const MAX_TOTAL_KEYS = 1_000;
/** The value as JSON text (UTF-8). */
const MAX_BYTES = 16_384;

interface JsonProblem {
  readonly message: string;
  /** Where inside the value, as keys and array indexes. */
  readonly path: readonly (string | number)[];
}

/**
 * Why a free-form JSON value cannot be stored as is, or undefined: keys of 1-64 characters
 * (never `__proto__`, `constructor`, `prototype`), finite numbers, and the limits above.
 */
function jsonProblem(root: unknown): JsonProblem | undefined {
  const path: (string | number)[] = [];
  let keys = 0;
  const walk = (value: unknown, depth: number): string | undefined => {
    if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
    if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'holds a number out of range';
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        path.push(i);
        const problem = walk(item, depth + 1);
        if (problem) return problem;
        path.pop();
      }
      return undefined;
    }
    const own = Object.keys(value);
    if (own.length > MAX_KEYS) return `must have at most ${MAX_KEYS} keys (has ${own.length})`;
    keys += own.length;
    if (keys > MAX_TOTAL_KEYS) return `has more than ${MAX_TOTAL_KEYS} keys in total`;
    for (const key of own) {
      if (key.length === 0 || key.length > 64) return 'has a key that is empty or longer than 64 characters';
      if (FORBIDDEN_KEYS.has(key)) return `has the reserved key "${key}"`;
      path.push(key);
      const problem = walk((value as Record<string, unknown>)[key], depth + 1);
      if (problem) return problem;
      path.pop();
    }
    return undefined;
  };
  const message = walk(root, 0);
  if (message) return { message, path };
  // Bounded by now (at most `totalKeys` keys, in a body of bounded size), so serialising is cheap.
  const bytes = Buffer.byteLength(JSON.stringify(root));
  return bytes > MAX_BYTES
    ? { message: `must be at most ${MAX_BYTES} bytes as JSON (is ${bytes})`, path: [] }
    : undefined;
}

/** A JSON object as `JSON.parse` makes it: not null, not an array, no exotic prototype. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Free-form settings: a JSON object within the limits above, checked on the value as sent (never
 * rebuilt key by key, so no key can reach a prototype) and stored as JSON text. An issue names
 * where inside the value it is (`body.settings.a.b must have at most 100 keys`).
 */
export const settings = z.custom<Record<string, unknown>>().check(
  z.refine(isPlainObject, 'must be a JSON object'),
  z.superRefine((v, ctx) => {
    // Every check runs even after the first fails: guard, so `null` is a 400, never a TypeError.
    if (!isPlainObject(v)) return;
    const problem = jsonProblem(v);
    // The path holds only keys that passed the 64-character rule.
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, input: v, path: [...problem.path] });
  }),
);

export const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const sameDay = (d: Date, v: string) => !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;

/** A calendar date that exists: 2024-02-29 yes, 2023-02-29 and 2024-04-31 no. */
export const isoDate = z
  .string()
  .check(
    z.refine(
      (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && sameDay(new Date(`${v}T00:00:00Z`), v),
      'must be a date (YYYY-MM-DD) that exists',
    ),
  );

/** An integer query parameter (query strings carry text). */
export const queryInt = (min: number, max: number, fallback: number) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((v, ctx) => {
      if (v === undefined) return fallback;
      const n = /^-?\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.issues.push({ code: 'custom', message: `must be an integer from ${min} to ${max}`, input: v });
        return z.NEVER;
      }
      return n;
    }),
  );

export const tenantIdParams = z.strictObject({ id: uuid });
export const noQuery = z.strictObject({});

/**
 * What is wrong with a value, in words a caller can act on. Our own short table instead of a
 * zod locale: the locale costs every bundle ~3 KB for messages half of which we never show.
 */
function problem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    case 'too_big':
      return `must have at most ${issue.maximum} ${unit(issue.origin)}`;
    case 'too_small':
      return Number(issue.minimum) === 1 && issue.origin !== 'number'
        ? 'must not be empty'
        : `must have at least ${issue.minimum} ${unit(issue.origin)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.message && issue.message !== 'Invalid input'
        ? issue.message
        : `must be a valid ${issue.format}`;
    default:
      return issue.message && issue.message !== 'Invalid input' ? issue.message : 'is invalid';
  }
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const unit = (origin: string) =>
  origin === 'string'
    ? 'characters'
    : origin === 'array' || origin === 'set'
      ? 'items'
      : origin === 'object'
        ? 'fields'
        : '';

/** Issues as one line a caller can act on: `body.name must be a string; query: unknown field foo`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], where: string): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      // Array items by index, as a caller writes them: `body.events[5].action`.
      const path = `${where}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
      if (i.code === 'unrecognized_keys')
        return `${path}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => k.slice(0, 64)).join(', ')}`;
      return `${path} ${problem(i)}`.replace(/ +$/, '');
    })
    .join('; ');
}
