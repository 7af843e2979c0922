import fc from 'fast-check';
import {
  describeSlugProblem,
  isSlug,
  isUuid,
  RESERVED_SLUGS,
  SLUG_PATTERN,
  slugProblem,
} from '../../shared/domain/slug';

/** The slug rules written out independently of the regex, as the API documents them. */
function specIsSlug(value: string): boolean {
  if (value.length < 3 || value.length > 40) return false;
  if (![...value].every((c) => /^[a-z0-9-]$/.test(c))) return false;
  if (value.startsWith('-') || value.endsWith('-')) return false;
  // Shaped like a UUID: exactly 32 hex digits once the dashes are gone.
  const digits = [...value].filter((c) => c !== '-');
  if (digits.length === 32 && digits.every((c) => '0123456789abcdef'.includes(c))) return false;
  return !RESERVED_SLUGS.has(value);
}

describe('slug pattern boundaries', () => {
  it.each([
    ['abc', '3 characters, the shortest'],
    ['a'.repeat(40), '40 characters, the longest'],
    ['a-b', 'a hyphen inside'],
    ['a--b', 'consecutive hyphens inside'],
    ['123', 'digits only'],
    ['0ab', 'leading digit'],
    ['ab9', 'trailing digit'],
    ['acme-corp-2', 'a typical slug'],
    ['tenant-a', 'a reserved word as a prefix only'],
    ['my-api', 'a reserved word as a suffix only'],
  ])('accepts %j (%s)', (value) => {
    expect(slugProblem(value)).toBeUndefined();
    expect(isSlug(value)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['a', '1 character'],
    ['ab', '2 characters'],
    ['a'.repeat(41), '41 characters'],
    ['a'.repeat(100), 'far too long'],
    ['-abc', 'leading hyphen'],
    ['abc-', 'trailing hyphen'],
    ['-', 'a lone hyphen'],
    ['---', 'hyphens only'],
    ['Abc', 'leading uppercase'],
    ['abC', 'trailing uppercase'],
    ['aBc', 'inner uppercase'],
    ['ABC', 'all uppercase'],
    ['café', 'latin accent'],
    ['аbc', 'Cyrillic homoglyph of a'],
    ['ａｂｃ', 'full-width letters'],
    ['ab😀', 'emoji'],
    ['ab_c', 'underscore'],
    ['ab.c', 'dot'],
    ['ab c', 'inner space'],
    [' abc', 'leading space'],
    ['abc ', 'trailing space'],
    ['abc\n', 'trailing newline'],
    ['\nabc', 'leading newline'],
    ['ab/c', 'slash'],
    ['ab%2f', 'percent escape'],
    ['ab\u0000c', 'NUL'],
    ['abc\u200b', 'zero-width space'],
  ])('rejects %j (%s) as a format problem', (value) => {
    expect(slugProblem(value)).toBe('format');
    expect(isSlug(value)).toBe(false);
  });

  it('says what a slug may be in the format message', () => {
    expect(describeSlugProblem('A', 'format')).toMatch(/3-40 characters/);
  });
});

describe('reserved slugs', () => {
  it.each(['tenant', 'v1', 'healthz', 'readyz', 'swagger', 'internal', 'api', 'docs', 'version'])(
    'rejects %j',
    (word) => {
      expect(isSlug(word)).toBe(false);
      expect(slugProblem(word)).toBeDefined();
    },
  );

  it.each([...RESERVED_SLUGS].filter((w) => SLUG_PATTERN.test(w)))(
    'rejects %j as reserved (it matches the pattern)',
    (word) => {
      expect(slugProblem(word)).toBe('reserved');
      expect(describeSlugProblem(word, 'reserved')).toBe(`'${word}' is a reserved word and cannot be a slug`);
    },
  );

  it('reports v1 and v2 as format problems: shorter than 3 characters', () => {
    expect(slugProblem('v1')).toBe('format');
    expect(slugProblem('v2')).toBe('format');
  });

  it('rejects uppercase spellings of reserved words as format problems', () => {
    expect(slugProblem('TENANT')).toBe('format');
    expect(slugProblem('Api')).toBe('format');
  });
});

describe('reserved words, written out (not read from RESERVED_SLUGS)', () => {
  // The router's own words and those a tenant must never own; each is 3+ characters, so only
  // the reserved list refuses it.
  it.each([
    'tenant',
    'tenants',
    'healthz',
    'readyz',
    'livez',
    'version',
    'swagger',
    'openapi',
    'internal',
    'api',
    'docs',
    'admin',
    'health',
    'status',
    'metrics',
    'static',
    'assets',
    'well-known',
  ])('%j is reserved, and the message says so', (word) => {
    expect(slugProblem(word)).toBe('reserved');
    expect(isSlug(word)).toBe(false);
    expect(describeSlugProblem(word, 'reserved')).toBe(`'${word}' is a reserved word and cannot be a slug`);
  });

  it('near-misses of reserved words are ordinary slugs', () => {
    for (const word of ['admins', 'tenantx', 'api-v1', 'docs2', 'xhealthz', 'well-knownx', 'statu'])
      expect(slugProblem(word)).toBeUndefined();
  });

  it('the format message names the length, the UUID message the UUID rule, neither a reserved word', () => {
    const message = describeSlugProblem('admin', 'format');
    expect(message).toMatch(/3-40 characters/);
    expect(message).not.toMatch(/reserved/);
    const uuid = describeSlugProblem('0a1b2c3d-0000-4000-8000-00000000000a', 'uuid');
    expect(uuid).toMatch(/shaped like a UUID/);
    expect(uuid).not.toMatch(/reserved/);
  });
});

describe('UUIDs: never slugs', () => {
  const uuid = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';

  it('a lowercase UUID is a UUID and a UUID problem as a slug', () => {
    for (const value of [
      uuid,
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ]) {
      expect(isUuid(value)).toBe(true);
      expect(slugProblem(value)).toBe('uuid');
    }
  });

  it.each([
    ['6F1C2D3E-4A5B-4C6D-8E7F-0123456789AB', 'upper case'],
    [` ${uuid}`, 'leading space'],
    [`${uuid} `, 'trailing space'],
    [`{${uuid}}`, 'braces'],
    [`0${uuid}`, 'a leading extra digit'],
    [`${uuid}0`, 'a trailing extra digit'],
    ['6f1c2d3-4a5b-4c6d-8e7f-0123456789ab', 'first group 7'],
    ['6f1c2d3e0-4a5b-4c6d-8e7f-0123456789ab', 'first group 9'],
    ['6f1c2d3e-4a5-4c6d-8e7f-0123456789ab', 'second group 3'],
    ['6f1c2d3e-4a5b0-4c6d-8e7f-0123456789ab', 'second group 5'],
    ['6f1c2d3e-4a5b-4c6-8e7f-0123456789ab', 'third group 3'],
    ['6f1c2d3e-4a5b-4c6d0-8e7f-0123456789ab', 'third group 5'],
    ['6f1c2d3e-4a5b-4c6d-8e7-0123456789ab', 'fourth group 3'],
    ['6f1c2d3e-4a5b-4c6d-8e7f0-0123456789ab', 'fourth group 5'],
    ['6f1c2d3e-4a5b-4c6d-8e7f-0123456789a', 'last group 11'],
    ['6f1c2d3e-4a5b-4c6d-8e7f-0123456789abc', 'last group 13'],
    ['6f1c2d3g-4a5b-4c6d-8e7f-0123456789ab', 'g in the first group'],
    ['6f1c2d3e-4a5g-4c6d-8e7f-0123456789ab', 'g in the second group'],
    ['6f1c2d3e-4a5b-4c6g-8e7f-0123456789ab', 'g in the third group'],
    ['6f1c2d3e-4a5b-4c6d-8e7g-0123456789ab', 'g in the fourth group'],
    ['6f1c2d3e-4a5b-4c6d-8e7f-0123456789ag', 'g in the last group'],
    ['6f1c2d3e_4a5b-4c6d-8e7f-0123456789ab', 'an underscore for a dash'],
    ['6f1c2d3e-4a5b-4c6d-8e7f-01234567-89a', 'a dash moved'],
  ])('%j is not a UUID (%s)', (value) => {
    expect(isUuid(value)).toBe(false);
  });

  it('a UUID-shaped slug candidate is refused as a UUID, not as a reserved word', () => {
    expect(slugProblem('0a1b2c3d-0000-4000-8000-00000000000a')).toBe('uuid');
    expect(isSlug('0a1b2c3d-0000-4000-8000-00000000000a')).toBe(false);
    // One group longer: not a UUID, so an ordinary slug.
    expect(slugProblem('0a1b2c3d-0000-4000-8000-00000000000ab')).toBeUndefined();
  });
});

describe('slug properties', () => {
  const nearSlugChar = fc.constantFrom(...'abcxyz0129-AZ _.é\n/'.split(''));

  it('accepts every string that matches the pattern and is not reserved', () => {
    fc.assert(
      fc.property(fc.stringMatching(SLUG_PATTERN), (value) => {
        fc.pre(!RESERVED_SLUGS.has(value));
        expect(isSlug(value)).toBe(true);
        expect(slugProblem(value)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('only accepts strings that match the pattern and are not reserved', () => {
    const anyString = fc.oneof(
      fc.string({ unit: nearSlugChar, minLength: 0, maxLength: 45 }),
      fc.string({ unit: 'grapheme', maxLength: 45 }),
      fc.string({ unit: 'binary', maxLength: 45 }),
      fc.constantFrom(...RESERVED_SLUGS),
    );
    fc.assert(
      fc.property(anyString, (value) => {
        if (isSlug(value)) {
          expect(value).toMatch(SLUG_PATTERN);
          expect(RESERVED_SLUGS.has(value)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the written-out rules on near-slug strings of every length around 3 and 40', () => {
    const lengthAroundBounds = fc.oneof(
      fc.string({ unit: nearSlugChar, minLength: 0, maxLength: 5 }),
      fc.string({ unit: nearSlugChar, minLength: 38, maxLength: 42 }),
      fc.string({ unit: fc.constantFrom(...'ab1-'.split('')), minLength: 0, maxLength: 42 }),
    );
    fc.assert(
      fc.property(lengthAroundBounds, (value) => {
        expect(isSlug(value)).toBe(specIsSlug(value));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('UUID-shaped slugs', () => {
  it.each([
    ['6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab', 'a UUID'],
    ['6f1c2d3e4a5b4c6d8e7f0123456789ab', 'a UUID without dashes (32 hex digits)'],
    ['00000000000000000000000000000000', '32 zeros'],
    ['ffffffffffffffffffffffffffffffff', '32 f'],
    ['6f1c2d3e4a5b-4c6d8e7f-0123456789ab', 'a UUID with dashes elsewhere'],
    ['6f1c-2d3e-4a5b-4c6d-8e7f-0123-4567-89ab', 'a UUID in groups of four'],
  ])('refuses %j (%s), saying why', (value) => {
    expect(slugProblem(value)).toBe('uuid');
    expect(isSlug(value)).toBe(false);
    expect(describeSlugProblem(value, 'uuid')).toBe(
      `'${value}' is shaped like a UUID (32 hex digits) and cannot be a slug`,
    );
  });

  it.each([
    ['6f1c2d3e4a5b4c6d8e7f0123456789a', '31 hex digits'],
    ['6f1c2d3e4a5b4c6d8e7f0123456789abc', '33 hex digits'],
    ['6f1c2d3e4a5b4c6d8e7f0123456789ag', '32 characters, the last not hex'],
    ['g6f1c2d3e4a5b4c6d8e7f0123456789a', '32 characters, the first not hex'],
    ['6f1c2d3e4a5b4c6dx8e7f0123456789a', '32 characters, one inside not hex'],
    ['acme-6f1c2d3e4a5b4c6d8e7f0123456789ab', 'a word and 32 hex digits'],
    ['deadbeef', 'a short hex word'],
  ])('accepts %j (%s)', (value) => {
    expect(slugProblem(value)).toBeUndefined();
  });
});
