import fc from 'fast-check';
import { TtlCache } from '../../shared/domain/lru';

/** A cache on a clock that moves only when told. */
function cacheOf<V>(maxEntries: number, ttlMs: number) {
  let now = 1_000_000;
  const cache = new TtlCache<string, V>(maxEntries, ttlMs, () => now);
  return {
    cache,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('TtlCache', () => {
  describe('values', () => {
    it('misses a key it never saw', () => {
      const { cache } = cacheOf<string>(10, 1000);
      expect(cache.get('a')).toBeUndefined();
    });

    it('returns what was set, wrapped so a stored null is a hit', () => {
      const { cache } = cacheOf<string | null>(10, 1000);
      cache.set('known', 't-1');
      cache.set('unknown', null);
      expect(cache.get('known')).toEqual({ value: 't-1' });
      expect(cache.get('unknown')).toEqual({ value: null });
      expect(cache.get('never')).toBeUndefined();
    });

    it('keeps other falsy values as hits', () => {
      const { cache } = cacheOf<number | string | boolean | undefined>(10, 1000);
      cache.set('zero', 0);
      cache.set('empty', '');
      cache.set('no', false);
      cache.set('undef', undefined);
      expect(cache.get('zero')).toEqual({ value: 0 });
      expect(cache.get('empty')).toEqual({ value: '' });
      expect(cache.get('no')).toEqual({ value: false });
      expect(cache.get('undef')).toEqual({ value: undefined });
    });

    it('overwrites a key in place', () => {
      const { cache } = cacheOf<string>(10, 1000);
      cache.set('a', 'one');
      cache.set('a', 'two');
      expect(cache.get('a')).toEqual({ value: 'two' });
      expect(cache.size).toBe(1);
    });

    it('deletes and clears', () => {
      const { cache } = cacheOf<string>(10, 1000);
      cache.set('a', '1');
      cache.set('b', '2');
      cache.delete('a');
      cache.delete('missing');
      expect(cache.get('a')).toBeUndefined();
      expect(cache.get('b')).toEqual({ value: '2' });
      cache.clear();
      expect(cache.size).toBe(0);
      expect(cache.get('b')).toBeUndefined();
    });
  });

  describe('bounded size, least recently used out first', () => {
    it('never holds more than maxEntries', () => {
      const { cache } = cacheOf<number>(3, 1000);
      for (let i = 0; i < 100; i++) {
        cache.set(`k${i}`, i);
        expect(cache.size).toBeLessThanOrEqual(3);
      }
      expect(cache.size).toBe(3);
      expect(cache.get('k97')).toEqual({ value: 97 });
      expect(cache.get('k96')).toBeUndefined();
    });

    it('evicts the least recently set when nothing was read', () => {
      const { cache } = cacheOf<number>(2, 1000);
      cache.set('a', 1);
      cache.set('b', 2);
      cache.set('c', 3);
      expect(cache.get('a')).toBeUndefined();
      expect(cache.get('b')).toEqual({ value: 2 });
      expect(cache.get('c')).toEqual({ value: 3 });
    });

    it('a read makes an entry the most recently used', () => {
      const { cache } = cacheOf<number>(2, 1000);
      cache.set('a', 1);
      cache.set('b', 2);
      cache.get('a');
      cache.set('c', 3);
      expect(cache.get('b')).toBeUndefined();
      expect(cache.get('a')).toEqual({ value: 1 });
      expect(cache.get('c')).toEqual({ value: 3 });
    });

    it('a re-set makes an entry the most recently used', () => {
      const { cache } = cacheOf<number>(2, 1000);
      cache.set('a', 1);
      cache.set('b', 2);
      cache.set('a', 10);
      cache.set('c', 3);
      expect(cache.get('b')).toBeUndefined();
      expect(cache.get('a')).toEqual({ value: 10 });
    });

    it('behaves like a reference LRU model for any sequence of operations (property)', () => {
      const op = fc.oneof(
        fc.record({
          kind: fc.constant('set' as const),
          key: fc.integer({ min: 0, max: 7 }),
          value: fc.nat(),
        }),
        fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
      );
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
          const { cache } = cacheOf<number>(max, 1_000_000);
          const model: Array<[string, number]> = []; // least recently used first
          for (const o of ops) {
            const key = `k${o.key}`;
            const at = model.findIndex(([k]) => k === key);
            if (o.kind === 'set') {
              if (at >= 0) model.splice(at, 1);
              model.push([key, o.value]);
              if (model.length > max) model.shift();
              cache.set(key, o.value);
            } else if (o.kind === 'get') {
              const entry = at >= 0 ? model.splice(at, 1)[0] : undefined;
              if (entry) model.push(entry);
              expect(cache.get(key)).toEqual(entry ? { value: entry[1] } : undefined);
            } else {
              if (at >= 0) model.splice(at, 1);
              cache.delete(key);
            }
            expect(cache.size).toBe(model.length);
          }
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('expiry', () => {
    it('serves an entry until its TTL is over, then misses and forgets it', () => {
      const { cache, advance } = cacheOf<string>(10, 1000);
      cache.set('a', 'x');
      advance(999);
      expect(cache.get('a')).toEqual({ value: 'x' });
      advance(1);
      expect(cache.get('a')).toBeUndefined();
      expect(cache.size).toBe(0);
    });

    it('does not extend the TTL on read', () => {
      const { cache, advance } = cacheOf<string>(10, 1000);
      cache.set('a', 'x');
      for (let i = 0; i < 9; i++) {
        advance(100);
        expect(cache.get('a')).toEqual({ value: 'x' });
      }
      advance(100);
      expect(cache.get('a')).toBeUndefined();
    });

    it('restarts the TTL on set', () => {
      const { cache, advance } = cacheOf<string>(10, 1000);
      cache.set('a', 'x');
      advance(800);
      cache.set('a', 'y');
      advance(800);
      expect(cache.get('a')).toEqual({ value: 'y' });
    });

    it('expires negative (null) entries the same way', () => {
      const { cache, advance } = cacheOf<string | null>(10, 1000);
      cache.set('gone', null);
      expect(cache.get('gone')).toEqual({ value: null });
      advance(1000);
      expect(cache.get('gone')).toBeUndefined();
    });

    it('caches nothing with a TTL of 0', () => {
      const { cache } = cacheOf<string>(10, 0);
      cache.set('a', 'x');
      expect(cache.get('a')).toBeUndefined();
    });

    it('expires each entry on its own schedule', () => {
      const { cache, advance } = cacheOf<string>(10, 1000);
      cache.set('early', '1');
      advance(500);
      cache.set('late', '2');
      advance(500);
      expect(cache.get('early')).toBeUndefined();
      expect(cache.get('late')).toEqual({ value: '2' });
      advance(500);
      expect(cache.get('late')).toBeUndefined();
    });

    it('uses Date.now when no clock is given', () => {
      const cache = new TtlCache<string, number>(2, 60_000);
      cache.set('a', 1);
      expect(cache.get('a')).toEqual({ value: 1 });
    });
  });
});
