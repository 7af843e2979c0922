import { ConfigError, parseKeycloakConfig } from '../../shared/config/env';

const FULL = {
  TENANT_REGISTRY_KEYCLOAK_URL: 'https://id.example.com/',
  TENANT_REGISTRY_KEYCLOAK_REALM: 'tenants',
  TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: 'tenant-registry',
  TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: 'keycloak/client-secret',
};

describe('Keycloak configuration', () => {
  it('is off without a URL, whatever else is set', () => {
    const { TENANT_REGISTRY_KEYCLOAK_URL: _, ...rest } = FULL;
    expect(parseKeycloakConfig(rest)).toBeUndefined();
    expect(parseKeycloakConfig({ ...FULL, TENANT_REGISTRY_KEYCLOAK_URL: '' })).toBeUndefined();
  });

  it('reads every variable, drops a trailing slash and defaults the budget to 4 s', () => {
    expect(parseKeycloakConfig(FULL)).toEqual({
      url: 'https://id.example.com',
      realm: 'tenants',
      clientId: 'tenant-registry',
      clientSecretId: 'keycloak/client-secret',
      clientSecret: undefined,
      timeoutMs: 4000,
    });
    const local = parseKeycloakConfig({
      ...FULL,
      TENANT_REGISTRY_KEYCLOAK_URL: 'http://127.0.0.1:8080/auth',
      TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: '',
      TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: 'local-secret',
      TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS: '250',
    });
    expect(local).toMatchObject({
      url: 'http://127.0.0.1:8080/auth',
      clientSecret: 'local-secret',
      timeoutMs: 250,
    });
  });

  it.each([
    ['a URL that is not http(s)', { TENANT_REGISTRY_KEYCLOAK_URL: 'ftp://id.example.com' }],
    ['a URL with a query', { TENANT_REGISTRY_KEYCLOAK_URL: 'https://id.example.com/?x=1' }],
    ['no realm', { TENANT_REGISTRY_KEYCLOAK_REALM: '' }],
    ['no client id', { TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: '' }],
    ['no client secret', { TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: '' }],
    ['a budget beyond the Lambda timeout', { TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS: '9000' }],
    ['a budget that is not an integer', { TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS: '1e3' }],
    ['a budget below 100 ms', { TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS: '50' }],
  ])('refuses %s with a ConfigError that names the variables, never a value', (_label, change) => {
    const env = { ...FULL, TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: '', ...change };
    let error: unknown;
    try {
      parseKeycloakConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('TENANT_REGISTRY_KEYCLOAK_');
  });

  it('never puts the client secret in a configuration error', () => {
    expect(() =>
      parseKeycloakConfig({
        ...FULL,
        TENANT_REGISTRY_KEYCLOAK_REALM: '',
        TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: 's3cr3t-value',
      }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cr3t-value') }));
  });
});
