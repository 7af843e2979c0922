import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { parseConfig } from '../../shared/config/env';
import {
  apiKeyView,
  DEFAULT_SCOPES,
  displayPrefix,
  formatKey,
  isValidKeyPrefix,
  keyUnusable,
  MAX_KEY_LENGTH,
  parseKey,
  uuidToIdPart,
} from '../../shared/domain/api-key';
import { DEFAULT_ARGON2_PARAMS, KeyHasher, OWASP_FLOOR_PARAMS, paramsOf } from '../../shared/domain/key-hash';

describe('key format', () => {
  test('round trip: the id comes back, the secret is the 43-character part, the checksum is hex', () => {
    fc.assert(
      fc.property(fc.uuid({ version: 4 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (id, secret) => {
        const key = formatKey('trk', id, secret);
        expect(key).toMatch(/^trk_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{43}_[0-9a-f]{8}$/);
        expect(parseKey(key)).toEqual({
          prefix: 'trk',
          id,
          secret: Buffer.from(secret).toString('base64url'),
        });
      }),
      { numRuns: 500 },
    );
  });

  test('the display prefix is a leading part of the plaintext and holds nothing of the secret', () => {
    const id = randomUUID();
    const key = formatKey('trk', id, randomBytes(32));
    const shown = displayPrefix('trk', id);
    expect(key.startsWith(shown)).toBe(true);
    expect(shown).toBe(`trk_${uuidToIdPart(id).slice(0, 8)}`);
    expect(shown.length).toBeLessThan(key.indexOf('_', 4 + 22));
  });

  test('anything but a well-formed key with its checksum is rejected', () => {
    const key = formatKey('trk', randomUUID(), randomBytes(32));
    const bad: unknown[] = [
      undefined,
      null,
      42,
      {},
      [key],
      '',
      key.toUpperCase(),
      `${key} `,
      ` ${key}`,
      `${key}\n`,
      key.slice(0, -1) + (key.endsWith('0') ? '1' : '0'),
      `${key.slice(0, -8)}${'0'.repeat(8)}`,
      key.replace('trk_', 'TRK_'),
      key.replace('trk_', 't_'),
      'x'.repeat(MAX_KEY_LENGTH + 1),
      'a'.repeat(10_240),
    ];
    for (const input of bad) expect(parseKey(input)).toBeUndefined();
  });

  test('every single-character substitution fails (CRC32 catches any 8-bit burst)', () => {
    const key = formatKey('trk', randomUUID(), randomBytes(32));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let tried = 0;
    for (let i = 0; i < key.length; i++) {
      for (const ch of alphabet) {
        if (ch === key[i]) continue;
        tried++;
        expect(parseKey(key.slice(0, i) + ch + key.slice(i + 1))).toBeUndefined();
      }
    }
    expect(tried).toBe(key.length * (alphabet.length - 1));
  });

  test('a non-canonical base64url id or secret (stray low bits in the last character) is rejected', () => {
    // 16 bytes in 22 characters leave 4 spare bits in the last one; 32 in 43 leave 2.
    const id = randomUUID();
    const secret = randomBytes(32);
    const key = formatKey('trk', id, secret);
    const [prefix, ...rest] = key.split('_');
    expect(prefix).toBe('trk');
    const idPart = key.slice(4, 26);
    const last = idPart.at(-1) ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) + 1] ?? 'B';
    const body = `trk_${idPart.slice(0, -1)}${sibling}_${key.slice(27, 70)}`;
    expect(Buffer.from(`${idPart.slice(0, -1)}${sibling}`, 'base64url')).toEqual(
      Buffer.from(idPart, 'base64url'),
    );
    const crc = (text: string) => {
      let c = ~0;
      for (const byte of Buffer.from(text)) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
      }
      return (~c >>> 0).toString(16).padStart(8, '0');
    };
    expect(rest.length).toBeGreaterThanOrEqual(3);
    expect(parseKey(`${body}_${crc(body)}`)).toBeUndefined();
    expect(parseKey(key)?.id).toBe(id);
  });

  test('prefixes: 2-16 of a-z0-9 starting with a letter; the environment validates it', () => {
    for (const ok of ['trk', 'ab', 'acme2', 'a'.repeat(16)]) expect(isValidKeyPrefix(ok)).toBe(true);
    for (const bad of ['', 'a', '2ab', 'TRK', 'tr_k', 'tr-k', 'a'.repeat(17)])
      expect(isValidKeyPrefix(bad)).toBe(false);
    expect(parseConfig({}).keyPrefix).toBe('trk');
    expect(parseConfig({ TENANT_REGISTRY_KEY_PREFIX: 'acme' }).keyPrefix).toBe('acme');
    expect(() => parseConfig({ TENANT_REGISTRY_KEY_PREFIX: 'tr_k' })).toThrow(/TENANT_REGISTRY_KEY_PREFIX/);
    expect(parseConfig({}).keyCacheTtlSeconds).toBe(30);
    expect(() => formatKey('BAD', randomUUID(), randomBytes(32))).toThrow();
  });

  test('revoked and expired keys are unusable; the view never carries the hash', () => {
    const key = {
      id: randomUUID(),
      tenant_id: randomUUID(),
      name: 'k',
      scopes: DEFAULT_SCOPES,
      prefix: 'trk_x',
      created_at: '2030-01-01T00:00:00.000Z',
      expires_at: '2030-01-02T00:00:00.000Z',
      revoked_at: null,
      last_used_at: null,
    };
    expect(keyUnusable(key, new Date('2030-01-01T12:00:00Z'))).toBeUndefined();
    expect(keyUnusable(key, new Date('2030-01-02T00:00:00Z'))).toBe('expired');
    expect(
      keyUnusable({ ...key, revoked_at: '2030-01-01T01:00:00.000Z' }, new Date('2030-01-01T12:00:00Z')),
    ).toBe('revoked');
    expect(apiKeyView({ ...key, secret_hash: 'h' } as typeof key)).not.toHaveProperty('secret_hash');
  });
});

describe('key hashing', () => {
  const hasher = new KeyHasher();

  test('format-tagged argon2id at the documented defaults; verify reads the tag', async () => {
    expect(DEFAULT_ARGON2_PARAMS).toEqual({ m: 19_456, t: 2, p: 1 });
    expect(OWASP_FLOOR_PARAMS).toEqual({ m: 19_456, t: 2, p: 1 });
    const hash = await hasher.hash('s3cret');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(hash).not.toContain('s3cret');
    expect(paramsOf(hash)).toEqual(DEFAULT_ARGON2_PARAMS);
    expect(await hasher.verify('s3cret', hash)).toBe(true);
    expect(await hasher.verify('s3creT', hash)).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  test('hashes made with other parameters still verify and ask for a re-hash', async () => {
    const old = await new KeyHasher({ m: 8192, t: 1, p: 1 }).hash('s3cret');
    expect(await hasher.verify('s3cret', old)).toBe(true);
    expect(hasher.needsRehash(old)).toBe(true);
  });

  test('a malformed stored hash never matches and never throws', async () => {
    for (const bad of [
      '',
      'plain',
      '$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA',
      '$argon2id$v=19$m=1,t=1,p=1$!!$!!',
    ])
      expect(await hasher.verify('s3cret', bad)).toBe(false);
  });
});
