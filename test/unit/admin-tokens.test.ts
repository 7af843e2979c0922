import { AdminTokens, MIN_TOKEN_LENGTH } from '../../shared/services/admin-tokens';
import { FakeClock, FakeSecretSource } from './fakes';

const TTL_MS = 300_000;
const REFRESH_MIN_MS = 30_000;
const CURRENT = 'c'.repeat(40);
const PREVIOUS = 'p'.repeat(40);
const ROTATED = 'r'.repeat(40);

function setup(versions: { current?: string; previous?: string } = { current: CURRENT, previous: PREVIOUS }) {
  const source = new FakeSecretSource(versions.current, versions.previous);
  const clock = new FakeClock();
  const tokens = new AdminTokens(source, { ttlMs: TTL_MS, refreshMinMs: REFRESH_MIN_MS }, clock);
  return { source, clock, tokens };
}

describe('AdminTokens.configured', () => {
  it.each([
    ['no token', undefined, false],
    ['an empty token', '', false],
    ['31 characters', 'x'.repeat(MIN_TOKEN_LENGTH - 1), false],
    ['32 characters', 'x'.repeat(MIN_TOKEN_LENGTH), true],
    ['64 characters', 'x'.repeat(64), true],
  ])('with %s: %s', async (_name, token, expected) => {
    expect(MIN_TOKEN_LENGTH).toBe(32);
    const { tokens } = setup({ current: token });
    expect(await tokens.configured()).toBe(expected);
  });

  it('shares the cached current token with accepts()', async () => {
    const { tokens, source } = setup();
    await tokens.configured();
    await tokens.accepts(CURRENT);
    await tokens.configured();
    expect(source.calls.current).toBe(1);
  });
});

describe('AdminTokens.accepts', () => {
  it('accepts the current token', async () => {
    const { tokens } = setup();
    expect(await tokens.accepts(CURRENT)).toBe(true);
  });

  it('accepts the previous token during rotation', async () => {
    const { tokens } = setup();
    expect(await tokens.accepts(PREVIOUS)).toBe(true);
  });

  it.each([
    ['an unknown token', 'z'.repeat(40)],
    ['an empty string', ''],
    ['a prefix of the current token', CURRENT.slice(0, 39)],
    ['the current token with a suffix', `${CURRENT}x`],
    ['the current token in other case', CURRENT.toUpperCase()],
    ['the current token with whitespace', ` ${CURRENT}`],
    ['the same length with one character changed', `${CURRENT.slice(0, 39)}d`],
    ['a multi-byte token of the same character count', 'ç'.repeat(40)],
  ])('rejects %s', async (_name, presented) => {
    const { tokens } = setup();
    expect(await tokens.accepts(presented)).toBe(false);
  });

  it('rejects everything while the configured token is too short, even that token', async () => {
    const short = 's'.repeat(MIN_TOKEN_LENGTH - 1);
    const { tokens } = setup({ current: short, previous: short });
    expect(await tokens.accepts(short)).toBe(false);
  });

  it('rejects everything when no token is configured', async () => {
    const { tokens } = setup({});
    expect(await tokens.accepts('')).toBe(false);
    expect(await tokens.accepts(CURRENT)).toBe(false);
  });

  it('does not fetch the previous token when the current one matches', async () => {
    const { tokens, source } = setup();
    await tokens.accepts(CURRENT);
    expect(source.calls.previous).toBe(0);
  });
});

describe('AdminTokens caching', () => {
  it('fetches the current token once per TTL window over 1,000 accepted calls', async () => {
    const { tokens, source } = setup();
    for (let i = 0; i < 1000; i++) expect(await tokens.accepts(CURRENT)).toBe(true);
    expect(source.calls).toEqual({ current: 1, previous: 0 });
  });

  it('refetches when the TTL is over: one fetch per window while time passes', async () => {
    const { tokens, source, clock } = setup();
    const step = 1500; // 1,000 calls over 1,500,000 ms = 5 TTL windows
    for (let i = 0; i < 1000; i++) {
      expect(await tokens.accepts(CURRENT)).toBe(true);
      clock.advance(step);
    }
    expect(source.calls.current).toBe(Math.ceil((1000 * step) / TTL_MS));
    expect(source.calls.previous).toBe(0);
  });

  it('serves a rotated secret only after the TTL when nobody presents the new token', async () => {
    const { tokens, source, clock } = setup();
    await tokens.accepts(CURRENT);
    source.rotate(ROTATED);
    clock.advance(TTL_MS - 1);
    expect(await tokens.configured()).toBe(true);
    expect(source.calls.current).toBe(1);
    clock.advance(1);
    await tokens.configured();
    expect(source.calls.current).toBe(2);
  });
});

describe('AdminTokens forced refresh', () => {
  it('a flood of unknown tokens forces at most one refresh per refreshMinMs', async () => {
    const { tokens, source } = setup();
    for (let i = 0; i < 1000; i++) expect(await tokens.accepts(`bad-${i}`.padEnd(40, 'x'))).toBe(false);
    // One initial fetch of each version, plus one forced refresh of both.
    expect(source.calls).toEqual({ current: 2, previous: 2 });
  });

  it('allows one forced refresh per refreshMinMs window as time passes', async () => {
    const { tokens, source, clock } = setup();
    const step = 100; // 1,000 calls over 100,000 ms
    for (let i = 0; i < 1000; i++) {
      await tokens.accepts('z'.repeat(40));
      clock.advance(step);
    }
    const windows = Math.ceil((1000 * step) / REFRESH_MIN_MS);
    // One initial fetch of each version, then one forced refresh per window (t = 0, 30 s, 60 s, 90 s).
    expect(source.calls).toEqual({ current: 1 + windows, previous: 1 + windows });
  });

  it('accepts a rotated token at once through a forced refresh', async () => {
    const { tokens, source } = setup();
    expect(await tokens.accepts(CURRENT)).toBe(true);
    source.rotate(ROTATED);
    expect(await tokens.accepts(ROTATED)).toBe(true);
    // The token rotated out stays valid as the previous version.
    expect(await tokens.accepts(CURRENT)).toBe(true);
    expect(await tokens.accepts(PREVIOUS)).toBe(false);
  });

  it('picks up a second rotation within refreshMinMs only once the window is over', async () => {
    const { tokens, source, clock } = setup();
    expect(await tokens.accepts(CURRENT)).toBe(true); // warms the cache
    source.rotate(ROTATED);
    expect(await tokens.accepts(ROTATED)).toBe(true); // the first forced refresh
    const NEXT = 'n'.repeat(40);
    source.rotate(NEXT);
    clock.advance(REFRESH_MIN_MS - 1);
    expect(await tokens.accepts(NEXT)).toBe(false);
    clock.advance(1);
    expect(await tokens.accepts(NEXT)).toBe(true);
  });

  it('a rejected token between two rotations does not block the next refresh forever', async () => {
    const { tokens, source, clock } = setup();
    await tokens.accepts('z'.repeat(40)); // spends the forced refresh
    source.rotate(ROTATED);
    expect(await tokens.accepts(ROTATED)).toBe(false);
    clock.advance(REFRESH_MIN_MS);
    expect(await tokens.accepts(ROTATED)).toBe(true);
  });
});
