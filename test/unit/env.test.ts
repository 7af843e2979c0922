import {
  ConfigError,
  parseConfig,
  parseLocalConfig,
  parseTenantSelectionConfig,
  ssmPrefixProblem,
} from '../../shared/config/env';

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
  ['TENANT_REGISTRY_WRITE_BUDGET_MS', 'writeBudgetMs', 5000, 100, 25_000],
  ['TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS', 'keyMaxLifetimeDays', 365, 1, 3650],
  ['TENANT_REGISTRY_KEY_FAILURE_LIMIT', 'keyFailureLimit', 5, 1, 1000],
  ['TENANT_REGISTRY_KEY_FAILURE_WINDOW_SECONDS', 'keyFailureWindowSeconds', 60, 1, 3600],
  ['TENANT_REGISTRY_KEY_VERIFY_CONCURRENCY', 'keyVerifyConcurrency', 1, 1, 64],
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
      writeBudgetMs: 5000,
      keyPrefix: 'trk',
      keyCacheTtlSeconds: 30,
      keyCacheSize: 10_000,
      keyMaxLifetimeDays: 365,
      keyFailureLimit: 5,
      keyFailureWindowSeconds: 60,
      keyVerifyConcurrency: 1,
      maxBodyBytes: 65_536,
      codeVersion: undefined,
      stage: 'local',
      logLevel: 'INFO',
      auditRetentionDays: undefined,
      webhookAllowLocal: false,
      webhookMaxEndpoints: 20,
      webhookQueueUrl: undefined,
      webhookRetryScale: 1,
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

  describe('SSM prefixes Parameter Store reserves (names beginning with aws or ssm, any case)', () => {
    it.each(['/aws', 'aws/x', '/AWS/tenant-registry', '/awsome', '/ssm', '/SSM-config/x', 'Ssm'])(
      'refuses %j',
      (value) => {
        expect(() => parseConfig({ TENANT_REGISTRY_SSM_PREFIX: value })).toThrow(
          'TENANT_REGISTRY_SSM_PREFIX: must not begin with aws or ssm (in any case): Parameter Store reserves those names',
        );
      },
    );

    it.each(['/my-aws', '/tenant-registry/aws', '/x/ssm', '/as', '/sm'])('accepts %j', (value) => {
      expect(parseConfig({ TENANT_REGISTRY_SSM_PREFIX: value }).ssmPrefix).toBe(value);
    });

    it('is one function the CDK context check can call with the stack value', () => {
      expect(ssmPrefixProblem('/tenant-registry/prod')).toBeUndefined();
      expect(ssmPrefixProblem('/aws/tenant-registry')).toMatch(/^must not begin with aws or ssm/);
      expect(ssmPrefixProblem('tenant-registry')).toBe('must be a parameter path like /tenant-registry');
    });
  });
});

describe('parseLocalConfig', () => {
  it.each(['abc', '-1', '65536', '1e3', ' 80', '80.5'])(
    'refuses PORT=%j in one line naming the value',
    (value) => {
      expect(() => parseLocalConfig({ PORT: value })).toThrow(
        `PORT must be a port number from 0 to 65535 (0 picks a free one), not "${value}"`,
      );
    },
  );

  it('reads PORT, defaults to 8090 and .data', () => {
    expect(parseLocalConfig({})).toEqual({ port: 8090, dataDir: '.data', endpoints: {} });
    expect(parseLocalConfig({ PORT: '0' }).port).toBe(0);
    expect(parseLocalConfig({ PORT: '65535' }).port).toBe(65_535);
  });

  it('takes a service endpoint from AWS_ENDPOINT_URL_<SERVICE>, else from AWS_ENDPOINT_URL', () => {
    expect(
      parseLocalConfig({ AWS_ENDPOINT_URL: 'http://all:5000', AWS_ENDPOINT_URL_SSM: 'http://ssm:1' })
        .endpoints,
    ).toEqual({ dynamodb: 'http://all:5000', ssm: 'http://ssm:1', secretsManager: 'http://all:5000' });
    expect(parseLocalConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb:1' }).endpoints).toEqual({
      dynamodb: 'http://ddb:1',
    });
  });
});
