import { mergeParameters } from '../../shared/http/merge';

/** The tenant plane's one merge of query string and body (seed 003): the body wins. */
describe('mergeParameters', () => {
  test('query only, body only, both agreeing, both conflicting', () => {
    expect(mergeParameters({ product: 'a' }, {})).toEqual({ product: 'a' });
    expect(mergeParameters({}, { product: 'b' })).toEqual({ product: 'b' });
    expect(mergeParameters({ product: 'a' }, { product: 'a' })).toEqual({ product: 'a' });
    expect(mergeParameters({ product: 'a' }, { product: 'b' })).toEqual({ product: 'b' });
  });

  test('disjoint parameters are all kept; body values keep their JSON types', () => {
    expect(
      mergeParameters(
        { name: 'q', scopes: 'profile:read,audit:read' },
        { scopes: ['audit:read'], n: 1, x: null },
      ),
    ).toEqual({ name: 'q', scopes: ['audit:read'], n: 1, x: null });
  });

  test('a body value wins even when it is empty, false, zero or null', () => {
    for (const value of ['', false, 0, null]) {
      expect(mergeParameters({ p: 'q' }, { p: value })).toEqual({ p: value });
    }
  });

  test('an undefined body value still wins (the key is present)', () => {
    const merged = mergeParameters({ p: 'q' }, { p: undefined });
    expect(Object.hasOwn(merged, 'p')).toBe(true);
    expect(merged.p).toBeUndefined();
  });

  test('the inputs are not changed, and the result is a new object', () => {
    const query = Object.freeze({ a: '1' });
    const body = Object.freeze({ b: 2 });
    const merged = mergeParameters(query, body);
    expect(merged).not.toBe(query);
    expect(merged).not.toBe(body);
    merged.a = 'changed';
    expect(query).toEqual({ a: '1' });
    expect(body).toEqual({ b: 2 });
  });

  test('a body "__proto__" key (as JSON.parse makes it) stays a plain key: no prototype is set or polluted', () => {
    const body = JSON.parse('{"__proto__":{"polluted":true,"product":"evil"},"product":"b"}');
    const merged = mergeParameters({ product: 'a' }, body);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(merged, '__proto__')?.value).toEqual({
      polluted: true,
      product: 'evil',
    });
    expect(merged.product).toBe('b');
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(merged).sort()).toEqual(['__proto__', 'product']);
  });

  test('a query "__proto__" key stays a plain key, and the body overrides it', () => {
    const query = Object.fromEntries([
      ['__proto__', 'x'],
      ['a', '1'],
    ]) as Record<string, string>;
    const fromQuery = mergeParameters(query, {});
    expect(Object.getPrototypeOf(fromQuery)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(fromQuery, '__proto__')?.value).toBe('x');

    const overridden = mergeParameters(query, JSON.parse('{"__proto__":"y"}'));
    expect(Object.getPrototypeOf(overridden)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(overridden, '__proto__')?.value).toBe('y');
    expect(overridden.a).toBe('1');
  });

  test('"constructor", "prototype", "toString" and "hasOwnProperty" are ordinary keys, body winning', () => {
    const query = { constructor: 'q', prototype: 'q', toString: 'q', hasOwnProperty: 'q' };
    const body = { constructor: 'b', toString: { nested: true } };
    const merged = mergeParameters(query, body);
    expect(merged).toEqual({
      constructor: 'b',
      prototype: 'q',
      toString: { nested: true },
      hasOwnProperty: 'q',
    });
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, 'constructor')).toBe(true);
    // Nothing reached the shared prototypes.
    expect({}.constructor).toBe(Object);
    expect(typeof {}.toString).toBe('function');
    expect(Object.hasOwn({ a: 1 }, 'a')).toBe(true);
  });

  test('inherited properties of the inputs are not merged, only own ones', () => {
    const query = Object.create({ inherited: 'q' }) as Record<string, string>;
    query.own = 'q';
    const body = Object.create({ alsoInherited: 'b' }) as Record<string, unknown>;
    expect(mergeParameters(query, body)).toEqual({ own: 'q' });
  });
});
