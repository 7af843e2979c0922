import { ConfigError, parseConfig, parseTenantSelectionConfig } from '../../shared/config/env';

/** The ConfigError `run` throws, or a failure when it does not throw one. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const INTEGER_VARIABLES = [
  ['TENANT_REGISTRY_ALIAS_QUARANTINE_DAYS', 'aliasQuarantineDays', 30, 0, 3650],
  ['TENANT_REGISTRY_ALIAS_CACHE_TTL_SECONDS', 'aliasCacheTtlSeconds', 60, 0, 86_400],
  ['TENANT_REGISTRY_ALIAS_CACHE_SIZE', 'aliasCacheSize', 10_000, 1, 1_000_000],
  ['TENANT_REGISTRY_TOKEN_CACHE_TTL_SECONDS', 'tokenCacheTtlSeconds', 300, 1, 86_400],
  ['TENANT_REGISTRY_TOKEN_REFRESH_MIN_SECONDS', 'tokenRefreshMinSeconds', 30, 0, 86_400],
  ['TENANT_REGISTRY_MAX_BODY_BYTES', 'maxBodyBytes', 65_536, 1024, 6_000_000],
] as const;

describe('parseConfig', () => {
  it('has a default for everything', () => {
    expect(parseConfig({})).toEqual({
      apiEnabled: false,
      apiToken: undefined,
      apiTokenSecretId: undefined,
      tableName: 'tenant-registry',
      ssmPrefix: '/tenant-registry',
      aliasQuarantineDays: 30,
      aliasCacheTtlSeconds: 60,
      aliasCacheSize: 10_000,
      tokenCacheTtlSeconds: 300,
      tokenRefreshMinSeconds: 30,
      keyPrefix: 'trk',
      keyCacheTtlSeconds: 30,
      keyCacheSize: 10_000,
      maxBodyBytes: 65_536,
      codeVersion: undefined,
      stage: 'local',
      logLevel: 'INFO',
    });
  });

  it('treats empty strings as unset', () => {
    const env = Object.fromEntries(
      [
        'TENANT_REGISTRY_API_ENABLED',
        'TENANT_REGISTRY_API_TOKEN',
        'TENANT_REGISTRY_API_TOKEN_SECRET_ID',
        'TENANT_REGISTRY_TABLE_NAME',
        'TENANT_REGISTRY_SSM_PREFIX',
        'TENANT_REGISTRY_CODE_VERSION',
        'TENANT_REGISTRY_STAGE',
        'TENANT_REGISTRY_KEY_PREFIX',
        'TENANT_REGISTRY_KEY_CACHE_TTL_SECONDS',
        'TENANT_REGISTRY_KEY_CACHE_SIZE',
        ...INTEGER_VARIABLES.map(([name]) => name),
      ].map((name) => [name, '']),
    );
    expect(parseConfig(env)).toEqual(parseConfig({}));
  });

  it('reads every variable', () => {
    const config = parseConfig({
      TENANT_REGISTRY_API_ENABLED: 'true',
      TENANT_REGISTRY_API_TOKEN: 'local-token',
      TENANT_REGISTRY_API_TOKEN_SECRET_ID: 'arn:secret',
      TENANT_REGISTRY_TABLE_NAME: 'tr-test',
      TENANT_REGISTRY_SSM_PREFIX: '/tr-test',
      TENANT_REGISTRY_CODE_VERSION: 'abc123',
      TENANT_REGISTRY_STAGE: 'prod-eu',
      TENANT_REGISTRY_ALIAS_QUARANTINE_DAYS: '7',
    });
    expect(config).toMatchObject({
      apiEnabled: true,
      apiToken: 'local-token',
      apiTokenSecretId: 'arn:secret',
      tableName: 'tr-test',
      ssmPrefix: '/tr-test',
      codeVersion: 'abc123',
      stage: 'prod-eu',
      aliasQuarantineDays: 7,
    });
    expect(() => parseConfig({ TENANT_REGISTRY_STAGE: 'Prod' })).toThrow(/TENANT_REGISTRY_STAGE/);
  });

  it('reads the tenant selection settings (seed 002)', () => {
    const selection = parseTenantSelectionConfig({
      TENANT_REGISTRY_TENANT_HEADER: 'X-Org',
      TENANT_REGISTRY_TENANT_REQUIRED: 'false',
      TENANT_REGISTRY_DEFAULT_TENANT: 'acme',
      TENANT_REGISTRY_ALLOWED_TENANTS: ' acme, acme-corp ,,6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab,acme',
    });
    expect(selection).toEqual({
      header: 'X-Org',
      required: false,
      defaultTenant: 'acme',
      allowedTenants: ['acme', 'acme-corp', '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'],
    });
    expect(parseTenantSelectionConfig({ TENANT_REGISTRY_TENANT_REQUIRED: 'true' }).required).toBe(true);
    expect(parseTenantSelectionConfig({})).toEqual({
      header: 'X-Tenant-ID',
      required: true,
      defaultTenant: undefined,
      allowedTenants: [],
    });
  });

  it.each([
    ['TENANT_REGISTRY_TENANT_HEADER', 'Authorization'],
    ['TENANT_REGISTRY_TENANT_HEADER', 'x-api-key'],
    ['TENANT_REGISTRY_TENANT_HEADER', 'X Tenant'],
    ['TENANT_REGISTRY_TENANT_REQUIRED', 'yes'],
    ['TENANT_REGISTRY_DEFAULT_TENANT', 'Not A Slug'],
    ['TENANT_REGISTRY_ALLOWED_TENANTS', 'acme,v1'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => parseTenantSelectionConfig({ [name]: value })).toThrow(name);
  });

  it('ignores variables it does not know', () => {
    expect(parseConfig({ PATH: '/usr/bin', TENANT_REGISTRY_UNKNOWN: 'x' })).toEqual(parseConfig({}));
  });

  describe('the API flag', () => {
    it.each([
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
      ['', false],
    ])('%j -> %s', (value, expected) => {
      expect(parseConfig({ TENANT_REGISTRY_API_ENABLED: value }).apiEnabled).toBe(expected);
    });

    it.each(['yes', 'TRUE', 'on', ' true'])('refuses %j, naming the variable', (value) => {
      expect(configError(() => parseConfig({ TENANT_REGISTRY_API_ENABLED: value })).message).toContain(
        'TENANT_REGISTRY_API_ENABLED',
      );
    });
  });

  describe.each(INTEGER_VARIABLES)('%s', (name, key, fallback, min, max) => {
    it(`defaults to ${fallback}`, () => {
      expect(parseConfig({})[key]).toBe(fallback);
    });

    it(`accepts the bounds ${min} and ${max}`, () => {
      expect(parseConfig({ [name]: String(min) })[key]).toBe(min);
      expect(parseConfig({ [name]: String(max) })[key]).toBe(max);
    });

    it.each([
      'abc',
      '1.5',
      'NaN',
      'Infinity',
      '12abc',
      String(min - 1),
      String(max + 1),
      '99999999999999999999',
    ])('refuses %j with a ConfigError naming the variable', (value) => {
      const error = configError(() => parseConfig({ [name]: value }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(name);
      expect(error.message).toContain(`must be an integer from ${min} to ${max}`);
    });
  });

  it('names every invalid variable at once', () => {
    const message = configError(() =>
      parseConfig({ TENANT_REGISTRY_ALIAS_CACHE_SIZE: '0', TENANT_REGISTRY_MAX_BODY_BYTES: 'lots' }),
    ).message;
    expect(message).toContain('TENANT_REGISTRY_ALIAS_CACHE_SIZE');
    expect(message).toContain('TENANT_REGISTRY_MAX_BODY_BYTES');
  });

  // BUG (reported, not fixed): the integer parser uses Number(), so hexadecimal, binary, octal
  // and exponent spellings pass as integers: TENANT_REGISTRY_MAX_BODY_BYTES=0x10000 is 65536.
  it('refuses non-decimal integer spellings (0x10, 0b101, 0o17, 1e3)', () => {
    const accepted = ['0x10', '0b101', '0o17', '1e3'].filter((value) => {
      try {
        parseConfig({ TENANT_REGISTRY_ALIAS_CACHE_SIZE: value });
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted).toEqual([]);
  });

  describe('SSM prefix normalisation', () => {
    it.each([
      ['tenant-registry', '/tenant-registry'],
      ['/tenant-registry', '/tenant-registry'],
      ['/x/', '/x'],
      ['//y', '/y'],
      ['y//', '/y'],
      ['///a/b///', '/a/b'],
      ['/org/team/registry', '/org/team/registry'],
    ])('%j -> %j', (value, expected) => {
      expect(parseConfig({ TENANT_REGISTRY_SSM_PREFIX: value }).ssmPrefix).toBe(expected);
    });
  });
});
