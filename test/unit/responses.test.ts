import fc from 'fast-check';
import { etagOf, precondition, versionFromIfMatch } from '../../shared/http/responses';

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
    '',
    ' ',
    'v1',
    '"1"',
    '"v0"',
    '"v01"',
    '"v-1"',
    '"v1.5"',
    '"v1e3"',
    '"V1"',
    "'v1'",
    '"v1',
    'v1"',
    '"v 1"',
    '"v1", "v2"',
    'w/"v1"',
    'W/ "v1"',
    '"v١"',
    '"v12345678901234567"',
    '"vNaN"',
  ])('is NaN for %j, an ETag never issued', (header) => {
    expect(versionFromIfMatch(header)).toBeNaN();
  });

  it('for any header gives NaN, or a version whose ETag is that header (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: fc.constantFrom(...'"vW/0123456789 '.split('')), maxLength: 12 }),
          fc.nat().map((n) => `"v${n}"`),
        ),
        (header) => {
          const version = versionFromIfMatch(header);
          if (version === undefined) {
            expect(header.trim()).toBe('*');
            return;
          }
          if (Number.isNaN(version)) return;
          expect(Number.isInteger(version) && version >= 1).toBe(true);
          expect(header.trim()).toBe(etagOf(version));
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

  it('expects version 0, which never exists, for garbage: the caller gets a 412', () => {
    expect(precondition({ headers: { 'if-match': 'garbage' } })).toEqual({ expectedVersion: 0 });
  });
});
