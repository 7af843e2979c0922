import * as z from 'zod/mini';
import { isPlainObject } from './schemas';

/*
 * Schemas of particular body fields, apart from schemas.ts: a zod schema is built by calls,
 * which do not tree-shake, so a function that takes none of these fields bundles none of them.
 */

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
