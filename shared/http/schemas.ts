import * as z from 'zod/mini';

/**
 * Request schemas shared by handlers. Objects are strict: an unknown field is a 400. The schemas
 * of particular body fields live in field-schemas.ts: a zod schema is built by calls, which do not
 * tree-shake, so every schema here is in every bundle that imports anything from this module.
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

/** A JSON object as `JSON.parse` makes it: not null, not an array, no exotic prototype. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

export const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

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
