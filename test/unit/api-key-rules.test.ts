import fc from 'fast-check';
import {
  grantableScopes,
  keyExpiry,
  rolledExpiry,
  SCOPES,
  type Scope,
  ScopeNotHeldError,
} from '../../shared/domain/api-key';
import { DomainError, ValidationError } from '../../shared/domain/errors';
import { ALL_SCOPES, READ_SCOPES } from '../fixtures/scopes';

/**
 * Issue 9: the rules every new or rolled key obeys on both planes (shared/domain/api-key.ts):
 * its scopes are a subset of its maker's, and it expires within the maximum lifetime.
 */

const ALL = ALL_SCOPES;

/** Every subset of the seven scopes, in their order: 128 of them. */
const EVERY_SUBSET: readonly Scope[][] = Array.from({ length: 2 ** ALL.length }, (_, mask) =>
  ALL.filter((_, i) => mask & (1 << i)),
);

/** What `run` threw, as the caller would see it: code and message; or the result. */
function outcome<T>(run: () => T): { ok: true; value: T } | { ok: false; code: string; message: string } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
}

describe('grantableScopes: a new key never holds a scope its maker does not', () => {
  test('the scope list is the seven scopes the spec names', () => {
    expect([...SCOPES].sort()).toEqual([...ALL].sort());
  });

  test('property: for every subset a caller may hold and every request shape, a subset of the held scopes or a refusal', () => {
    const request = fc.oneof(
      fc.constant(undefined),
      fc.constant([] as Scope[]),
      fc.subarray([...ALL], { minLength: 1 }),
      fc.shuffledSubarray([...ALL], { minLength: 1 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...EVERY_SUBSET), request, (held, requested) => {
        const got = outcome(() => grantableScopes(requested, held));
        if (got.ok) {
          expect(got.value.length).toBeGreaterThan(0);
          for (const s of got.value) expect(held).toContain(s);
          expect(new Set(got.value).size).toBe(got.value.length);
          return;
        }
        // Refused: exactly one of the three reasons, each naming what the caller must change.
        if (requested !== undefined && requested.length > 0) {
          expect(got.code).toBe('scope_not_held');
          const missing = requested.filter((s) => !held.includes(s));
          expect(missing.length).toBeGreaterThan(0);
          expect(missing.some((s) => got.message.includes(s))).toBe(true);
        } else {
          expect(got.code).toBe('invalid_input');
        }
        expect(got.message).toMatch(/\bscopes\b/);
      }),
      { numRuns: 5000 },
    );
  });

  test.each(EVERY_SUBSET.map((held) => [held.join(',') || '(none)', held] as const))(
    'held %s: the exact answer for no scopes, [] and every requested subset',
    (_, held) => {
      const defaults = READ_SCOPES.filter((s) => held.includes(s as Scope));
      const none = outcome(() => grantableScopes(undefined, held));
      expect(none).toEqual(
        defaults.length > 0
          ? { ok: true, value: defaults }
          : {
              ok: false,
              code: 'invalid_input',
              message: expect.stringMatching(/^scopes is required: the calling API key holds none of/),
            },
      );
      expect(outcome(() => grantableScopes([], held))).toEqual({
        ok: false,
        code: 'invalid_input',
        message: 'scopes must name at least one scope; leave it out for the default read scopes',
      });
      for (const requested of EVERY_SUBSET.filter((r) => r.length > 0)) {
        const notHeld = requested.find((s) => !held.includes(s));
        expect(outcome(() => grantableScopes(requested, held))).toEqual(
          notHeld === undefined
            ? { ok: true, value: requested }
            : {
                ok: false,
                code: 'scope_not_held',
                message: `scopes: the calling API key cannot grant ${notHeld}, which it does not hold`,
              },
        );
      }
    },
  );

  test('no scopes and none of the read scopes held: the 400 lists the read scopes the key would need', () => {
    expect(outcome(() => grantableScopes(undefined, ['keys:manage', 'audit:write']))).toEqual({
      ok: false,
      code: 'invalid_input',
      message:
        'scopes is required: the calling API key holds none of the default read scopes (profile:read, entitlements:read, audit:read, swagger:read)',
    });
  });

  test('a scope requested twice is granted once, in the order first requested', () => {
    expect(grantableScopes(['audit:read', 'profile:read', 'audit:read'], ALL)).toEqual([
      'audit:read',
      'profile:read',
    ]);
  });

  test('an operator holds every scope: no scopes is the four read scopes, [] is still refused', () => {
    expect(grantableScopes(undefined)).toEqual(READ_SCOPES);
    expect(grantableScopes(['keys:manage', 'audit:write'])).toEqual(['keys:manage', 'audit:write']);
    expect(() => grantableScopes([])).toThrow(ValidationError);
  });

  test('the keys:manage-only key of the review: no scopes and [] are both 400, never the read scopes', () => {
    expect(outcome(() => grantableScopes(undefined, ['keys:manage']))).toMatchObject({
      ok: false,
      code: 'invalid_input',
    });
    expect(outcome(() => grantableScopes([], ['keys:manage']))).toMatchObject({
      ok: false,
      code: 'invalid_input',
    });
    expect(() => grantableScopes(['audit:read'], ['keys:manage'])).toThrow(ScopeNotHeldError);
  });
});

describe('keyExpiry: every key a tenant makes expires within the maximum lifetime', () => {
  const now = new Date('2030-01-01T00:00:00.000Z');
  const tenant = { maxLifetimeDays: 365, mayNeverExpire: false };
  const operator = { maxLifetimeDays: 365, mayNeverExpire: true };
  const day = 86_400_000;

  test('absent: now + the maximum lifetime, on both planes', () => {
    expect(keyExpiry(undefined, now, tenant)).toBe('2031-01-01T00:00:00.000Z');
    expect(keyExpiry(undefined, now, operator)).toBe('2031-01-01T00:00:00.000Z');
    expect(keyExpiry(undefined, now, { maxLifetimeDays: 30, mayNeverExpire: false })).toBe(
      '2030-01-31T00:00:00.000Z',
    );
  });

  test('up to the limit as given; one millisecond past it is a 400 naming expires_at and the limit', () => {
    expect(keyExpiry('2030-12-31T23:59:59.999Z', now, tenant)).toBe('2030-12-31T23:59:59.999Z');
    expect(keyExpiry('2031-01-01T00:00:00.000Z', now, tenant)).toBe('2031-01-01T00:00:00.000Z');
    for (const options of [tenant, operator]) {
      expect(outcome(() => keyExpiry('2031-01-01T00:00:00.001Z', now, options))).toEqual({
        ok: false,
        code: 'invalid_input',
        message:
          'expires_at must be at most 365 days ahead (the maximum key lifetime), so no later than 2031-01-01T00:00:00.000Z',
      });
    }
    expect(
      outcome(() => keyExpiry('2030-02-01T00:00:00Z', now, { maxLifetimeDays: 7, mayNeverExpire: true })),
    ).toMatchObject({ ok: false, message: expect.stringContaining('at most 7 days ahead') });
  });

  test('not a date-time: a 400 naming expires_at and the format, on both planes', () => {
    for (const at of ['tomorrow', '', '2030-13-45T00:00:00Z']) {
      for (const options of [tenant, operator]) {
        expect(outcome(() => keyExpiry(at, now, options))).toEqual({
          ok: false,
          code: 'invalid_input',
          message: 'expires_at must be an RFC 3339 date-time',
        });
      }
    }
  });

  test('now or earlier is a 400: it must be in the future', () => {
    for (const at of ['2030-01-01T00:00:00.000Z', '2029-12-31T23:59:59.999Z', '2000-01-01T00:00:00Z']) {
      expect(outcome(() => keyExpiry(at, now, operator))).toEqual({
        ok: false,
        code: 'invalid_input',
        message: 'expires_at must be in the future',
      });
    }
  });

  test('null (never expires) is an operator choice only', () => {
    expect(keyExpiry(null, now, operator)).toBeNull();
    expect(outcome(() => keyExpiry(null, now, tenant))).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: expect.stringMatching(/^expires_at must be a date-time/),
    });
  });

  test('property: a tenant key always expires, after now and no later than the limit', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: -10 * day, max: 800 * day }), { nil: undefined }),
        fc.integer({ min: 1, max: 3650 }),
        (offset, days) => {
          const requested = offset === undefined ? undefined : new Date(now.getTime() + offset).toISOString();
          const got = outcome(() =>
            keyExpiry(requested, now, { maxLifetimeDays: days, mayNeverExpire: false }),
          );
          if (!got.ok) {
            expect(got.code).toBe('invalid_input');
            expect(got.message).toMatch(/^expires_at /);
            expect(offset !== undefined && (offset <= 0 || offset > days * day)).toBe(true);
            return;
          }
          expect(got.value).not.toBeNull();
          const at = Date.parse(got.value as string);
          expect(at).toBeGreaterThan(now.getTime());
          expect(at).toBeLessThanOrEqual(now.getTime() + days * day);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('rolledExpiry: the old key ends after the overlap, never later than it would have', () => {
  const now = new Date('2030-01-01T00:00:00.000Z');

  test('a key without expiry: now + overlap; overlap 0: now', () => {
    expect(rolledExpiry({ expires_at: null }, now, 86_400)).toBe('2030-01-02T00:00:00.000Z');
    expect(rolledExpiry({ expires_at: null }, now, 0)).toBe('2030-01-01T00:00:00.000Z');
  });

  test('a key expiring sooner keeps its expiry; later is cut to the overlap', () => {
    expect(rolledExpiry({ expires_at: '2030-01-01T00:10:00.000Z' }, now, 86_400)).toBe(
      '2030-01-01T00:10:00.000Z',
    );
    expect(rolledExpiry({ expires_at: '2030-06-01T00:00:00.000Z' }, now, 3600)).toBe(
      '2030-01-01T01:00:00.000Z',
    );
  });
});
