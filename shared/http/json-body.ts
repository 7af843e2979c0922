/**
 * Strict JSON for request bodies: what `JSON.parse` accepts, less what it silently resolves.
 * `JSON.parse` keeps the last of two equal keys (`{"slug":"v1","slug":"ok"}` reads as `ok`, while
 * another parser in front of us may have read `v1`) and lets NUL through in strings (which
 * C-based tools downstream cut at). Both are refused here, with the path of the offending field.
 *
 * The text is parsed natively first; a second pass over the (now known to be well-formed) text
 * finds repeated keys and escaped NULs without copying or decoding plain values: it adds a
 * quarter to four fifths of `JSON.parse`'s own time (`npx tsx bench/json-body.ts`, J1).
 */

export type JsonBodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

/** Parses `text` as JSON and refuses repeated keys and NUL characters, at any depth. */
export function parseStrictJson(text: string, where = 'body'): JsonBodyResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `the ${where} is not valid JSON` };
  }
  const problem = findProblem(text);
  if (problem === undefined) return { ok: true, value };
  const at = fieldPath(where, problem.path);
  return {
    ok: false,
    message:
      problem.kind === 'duplicate'
        ? `${at} is sent twice: a JSON object may hold each key once`
        : `${at} contains a NUL character (\\u0000)`,
  };
}

type Segment = string | number;

interface Frame {
  /** The keys seen so far; undefined for an array. */
  readonly keys: Set<string> | undefined;
  /** The key or index of this container in its parent; undefined at the top. */
  readonly at: Segment | undefined;
  readonly parent: Frame | undefined;
  /** Objects: the key whose value comes next. Arrays: the index of the next item. */
  current: Segment;
  /** Objects: whether the next string is a key. */
  expectKey: boolean;
}

interface Problem {
  readonly kind: 'duplicate' | 'nul';
  readonly path: readonly Segment[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The first repeated key or NUL in well-formed JSON text, by its path. Iterative (an explicit
 * stack), so nesting as deep as `JSON.parse` allows cannot overflow the call stack.
 */
function findProblem(text: string): Problem | undefined {
  let top: Frame | undefined;
  const n = text.length;
  // The next backslash, and the next escaped NUL, at or after the current string: found once per
  // stretch of text, so that strings without escapes (nearly all) are never copied or decoded.
  let backslash = -1;
  let nul = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (backslash < i) backslash = nextBackslash(text, i);
      const escaped = backslash < end;
      if (escaped && nul < i) nul = nextNulEscape(text, i);
      const hasNul = escaped && nul < end;
      if (top?.keys !== undefined && top.expectKey) {
        // Escapes are decoded by JSON.parse itself: `"\u0073lug"` is the key `slug`.
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (hasNul) return { kind: 'nul', path: [...pathOf(top), key] };
        if (top.keys.has(key)) return { kind: 'duplicate', path: [...pathOf(top), key] };
        top.keys.add(key);
        top.current = key;
        top.expectKey = false;
      } else if (hasNul) {
        return { kind: 'nul', path: top ? [...pathOf(top), top.current] : [] };
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const object = c === OPEN_OBJECT;
      top = {
        keys: object ? new Set() : undefined,
        at: top?.current,
        parent: top,
        current: object ? '' : 0,
        expectKey: object,
      };
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      top = top?.parent;
    } else if (c === COMMA && top) {
      if (top.keys) top.expectKey = true;
      else top.current = (top.current as number) + 1;
    }
    i++;
  }
  return undefined;
}

function nextBackslash(text: string, from: number): number {
  const at = text.indexOf('\\', from);
  return at === -1 ? text.length : at;
}

/**
 * The next `\u0000` escape at or after `from` (a raw NUL cannot occur: JSON.parse refused it).
 * An odd run of backslashes makes it an escape; `\\u0000` is a backslash and the text `u0000`.
 */
function nextNulEscape(text: string, from: number): number {
  for (let at = text.indexOf('\\u0000', from); at !== -1; at = text.indexOf('\\u0000', at + 1)) {
    let backslashes = 1;
    for (let j = at - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 1) return at;
  }
  return text.length;
}

/** The index of the quote that closes the string opening at `start`. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    for (let j = end - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function pathOf(frame: Frame): Segment[] {
  const out: Segment[] = [];
  for (let f: Frame | undefined = frame; f?.at !== undefined; f = f.parent) out.push(f.at);
  return out.reverse();
}

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;
const MAX_KEY = 64;

/** `body.settings.a`, `body.items[2]`, `body["odd key"]`; long keys are cut. */
function fieldPath(where: string, path: readonly Segment[]): string {
  let out = where;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment) && segment.length <= MAX_KEY) out += `.${segment}`;
    else {
      const shown = segment.length > MAX_KEY ? `${segment.slice(0, MAX_KEY)}...` : segment;
      out += `[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}
