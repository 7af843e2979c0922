import fc from 'fast-check';
import { parseStrictJson } from '../../shared/http/json-body';

const DUPLICATE = 'is sent twice: a JSON object may hold each key once';
const NUL = 'contains a NUL character (\\u0000)';

describe('parseStrictJson', () => {
  it.each([
    ['{"slug":"v1","slug":"ok"}', `body.slug ${DUPLICATE}`],
    ['{"a":1,"b":{"c":1,"c":2}}', `body.b.c ${DUPLICATE}`],
    ['{"list":[{"x":1},{"x":1,"y":2,"x":3}]}', `body.list[1].x ${DUPLICATE}`],
    ['{"a":[[],[{"k":1,"k":1}]]}', `body.a[1][0].k ${DUPLICATE}`],
    // Spelled differently, the same key once decoded.
    ['{"\\u0073lug":"a","slug":"b"}', `body.slug ${DUPLICATE}`],
    ['{"k\\n":1,"k\\u000a":2}', `body["k\\n"] ${DUPLICATE}`],
    ['{"odd key":{"__proto__":1,"__proto__":2}}', `body["odd key"].__proto__ ${DUPLICATE}`],
    ['{"":1,"":2}', `body[""] ${DUPLICATE}`],
    // A key is compared as a whole string, quotes and backslashes in it included.
    ['{"a\\"b":1,"a\\"b":2}', `body["a\\"b"] ${DUPLICATE}`],
  ])('refuses the repeated key in %s', (text, message) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, message });
  });

  it.each([
    ['{"name":"a\\u0000b"}', `body.name ${NUL}`],
    ['{"a":{"b":["x","\\u0000"]}}', `body.a.b[1] ${NUL}`],
    ['{"\\u0000":1}', `body["\\u0000"] ${NUL}`],
    ['{"a":"\\\\\\u0000"}', `body.a ${NUL}`],
  ])('refuses the NUL in %s, naming its field', (text, message) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, message });
  });

  it.each([
    ['{"a":"\\\\u0000"}', { a: '\\u0000' }],
    ['{"a":1,"b":{"a":1},"c":[{"a":1},{"a":1}]}', { a: 1, b: { a: 1 }, c: [{ a: 1 }, { a: 1 }] }],
    ['{"a":"x\\"y","b":"\\\\"}', { a: 'x"y', b: '\\' }],
    ['{"a":"\\ud83d\\ude00"}', { a: '😀' }],
    ['{"A":1,"a":2}', { A: 1, a: 2 }],
  ])('accepts %s as JSON.parse reads it', (text, value) => {
    expect(parseStrictJson(text)).toEqual({ ok: true, value });
  });

  it('says a text that is not JSON is not JSON', () => {
    expect(parseStrictJson('{"a":')).toEqual({ ok: false, message: 'the body is not valid JSON' });
  });

  it('names a long key by its first 64 characters', () => {
    const key = 'k'.repeat(100);
    expect(parseStrictJson(`{"${key}":1,"${key}":2}`)).toEqual({
      ok: false,
      message: `body["${'k'.repeat(64)}..."] ${DUPLICATE}`,
    });
  });

  it('scans nesting as deep as JSON.parse reads without overflowing the stack', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(parseStrictJson(deep).ok).toBe(true);
    const deepDuplicate = `${'{"a":'.repeat(5000)}{"b":1,"b":2}${'}'.repeat(5000)}`;
    expect(parseStrictJson(deepDuplicate)).toMatchObject({ ok: false });
  });

  const withoutNul = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('\\u0000'));

  it('reads any JSON without a repeated key or NUL exactly as JSON.parse does (property)', () => {
    fc.assert(
      fc.property(withoutNul, (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a key repeated in any object of any JSON, and names where (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), withoutNul, { minKeys: 1, maxKeys: 4 }),
        fc.nat(),
        (object, pick) => {
          const keys = Object.keys(object);
          const key = keys[pick % keys.length] as string;
          // The repeat goes last, as a second member of the outermost object, nested one level.
          const inner = JSON.stringify({ wrap: object });
          const text = `${inner.slice(0, -2)},${JSON.stringify(key)}:null}}`;
          const result = parseStrictJson(text);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.message).toMatch(new RegExp(`^body\\.wrap.* ${DUPLICATE}$`));
        },
      ),
      { numRuns: 500 },
    );
  });
});
