import { CidrError, parseCidr, parseCidrList } from '../../lib/cidrs';
import { PlainHttpError } from '../../lib/constructs/alb-ingress';
import { ALB_MAX_RULES, albOperations, albPathPattern, albRuleOrder, albRules } from '../../lib/routing';
import { StageConfigError, stageConfig } from '../../lib/stage-config';
import { CERTIFICATE_ARN, synthesizeRegistry } from './support/synth';
import { specOperations } from './support/template';

const ctx = (values: Record<string, unknown>) => (key: string) => values[key];

describe('CIDR allowlist parsing', () => {
  test.each([
    '10.0.0.0/8',
    '192.168.1.0/24',
    '203.0.113.7/32',
    '0.0.0.0/0',
    '2001:db8::/32',
    '::/0',
    'fd00::/8',
  ])('%s is accepted', (c) => {
    expect(parseCidr(c).cidr).toBe(c);
  });

  test.each([
    ['10.0.0.0', /address\/prefix/],
    ['10.0.0.0/33', /0-32/],
    ['10.0.0.1/8', /host bits set.*10\.0\.0\.0\/8/],
    ['300.0.0.0/8', /not an IPv4 or IPv6/],
    ['10.0.0/8', /not an IPv4 or IPv6/],
    ['2001:db8::1/32', /host bits/],
    ['2001:db8::/129', /0-128/],
    ['10.0.0.0/8; drop', /address\/prefix/],
    ['', /address\/prefix/],
  ])('%s is refused', (c, message) => {
    expect(() => parseCidr(c)).toThrow(CidrError);
    expect(() => parseCidr(c)).toThrow(message);
  });

  test('a list: commas, spaces, duplicates', () => {
    expect(parseCidrList(' 10.0.0.0/8, 192.168.1.0/24,10.0.0.0/8 ,').map((c) => c.cidr)).toEqual([
      '10.0.0.0/8',
      '192.168.1.0/24',
    ]);
    expect(() => parseCidrList('10.0.0.0/8,192.168.1.300/24')).toThrow(/192\.168\.1\.300/);
  });
});

describe('stage configuration from context', () => {
  test('defaults', () => {
    expect(stageConfig(ctx({}))).toEqual({
      stage: 'dev',
      allowedCidrs: [],
      props: { stage: 'dev', ingress: 'apigateway', allowedCidrs: [] },
    });
  });

  test('everything from -c strings', () => {
    const c = stageConfig(
      ctx({
        stage: 'prod',
        allowedCidrs: '10.0.0.0/8,192.168.1.0/24',
        ingress: 'alb',
        certificateArn: CERTIFICATE_ARN,
        waf: 'true',
        wafTenantRateLimit: '500',
        apiEnabled: 'true',
        alarmEmail: 'ops@example.com',
        authRejectedThreshold: '20',
        tenantAuthRejectedThreshold: '800',
        verifyReservedConcurrency: '50',
        tenantReservedConcurrency: 'off',
        albMaxRules: '150',
        ssmPrefix: '/platform/registry',
        keycloakUrl: 'https://id.example.com',
        keycloakRealm: 'platform',
        keycloakClientId: 'tenant-registry',
        keycloakClientSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:kc-AbCdEf',
        keycloakClientSecretKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/1a2b3c4d-5e6f',
      }),
    );
    expect(c.props).toEqual({
      stage: 'prod',
      ingress: 'alb',
      certificateArn: CERTIFICATE_ARN,
      allowedCidrs: ['10.0.0.0/8', '192.168.1.0/24'],
      waf: true,
      wafTenantRateLimit: 500,
      apiEnabled: true,
      alarmEmail: 'ops@example.com',
      authRejectedThreshold: 20,
      tenantAuthRejectedThreshold: 800,
      verifyReservedConcurrency: 50,
      tenantReservedConcurrency: false,
      albMaxRules: 150,
      ssmPrefix: '/platform/registry',
      keycloak: {
        url: 'https://id.example.com',
        realm: 'platform',
        clientId: 'tenant-registry',
        clientSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:kc-AbCdEf',
        clientSecretKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/1a2b3c4d-5e6f',
      },
    });
  });

  test('API Gateway throttles per plane, each rate with its burst', () => {
    expect(
      stageConfig(
        ctx({ tenantRateLimit: '5', tenantBurstLimit: '10', serviceRateLimit: 300, serviceBurstLimit: 600 }),
      ).props.throttles,
    ).toEqual({ service: { rateLimit: 300, burstLimit: 600 }, tenant: { rateLimit: 5, burstLimit: 10 } });
    expect(() => stageConfig(ctx({ tenantRateLimit: '5' }))).toThrow(
      /tenantRateLimit and tenantBurstLimit together/,
    );
    expect(() =>
      stageConfig(
        ctx({
          ingress: 'alb',
          certificateArn: CERTIFICATE_ARN,
          operatorRateLimit: '5',
          operatorBurstLimit: '5',
        }),
      ),
    ).toThrow(/operatorRateLimit applies to ingress=apigateway only/);
  });

  test('an internet-facing ALB without a certificate is refused unless allowPlainHttp=true (test stages)', () => {
    expect(() => stageConfig(ctx({ ingress: 'alb' }))).toThrow(StageConfigError);
    expect(() => stageConfig(ctx({ ingress: 'alb' }))).toThrow(
      /plain HTTP:80 on the internet: pass -c certificateArn=.* or -c allowPlainHttp=true for a test stage only/,
    );
    expect(stageConfig(ctx({ ingress: 'alb', allowPlainHttp: 'true' })).props).toMatchObject({
      ingress: 'alb',
      allowPlainHttp: true,
    });
    expect(() => stageConfig(ctx({ allowPlainHttp: 'true' }))).toThrow(/apply to ingress=alb only/);
    // The stack refuses it too, for callers that bypass the context.
    expect(() => synthesizeRegistry({ ingress: 'alb' })).toThrow(PlainHttpError);
  });

  test('the ALB rule quota is checked by the context parser, before anything is bundled', () => {
    // 5 ranges: rules for every operator/service operation, 1 to 3 ranges per rule.
    const five = '10.0.0.0/16,10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16';
    const needed = albRules(albOperations(specOperations), five.split(',')).length;
    expect(needed).toBeGreaterThan(ALB_MAX_RULES);
    const values = { ingress: 'alb', certificateArn: CERTIFICATE_ARN, allowedCidrs: five };
    expect(() => stageConfig(ctx(values))).toThrow(StageConfigError);
    expect(() => stageConfig(ctx(values))).toThrow(
      new RegExp(
        `needs ${needed} listener rules for 5 allowlisted ranges, over the quota of 100 .* -c albMaxRules=`,
      ),
    );
    expect(stageConfig(ctx({ ...values, albMaxRules: String(needed) })).props.albMaxRules).toBe(needed);
    // The parser accepts exactly the range counts whose rule plan fits the default quota.
    for (const n of [1, 2, 3, 4, 5]) {
      const ranges = five.split(',').slice(0, n);
      const fits = albRules(albOperations(specOperations), ranges).length <= ALB_MAX_RULES;
      const parse = () => stageConfig(ctx({ ...values, allowedCidrs: ranges.join(',') }));
      if (fits) expect(parse).not.toThrow();
      else expect(parse).toThrow(StageConfigError);
    }
  });

  test('tenant selection from -c strings, checked like the functions check it', () => {
    expect(
      stageConfig(
        ctx({
          tenantHeader: 'X-Org-ID',
          tenantRequired: 'false',
          defaultTenant: 'acme',
          allowedTenants: 'acme, globex',
        }),
      ).props.tenantSelection,
    ).toEqual({
      header: 'X-Org-ID',
      required: false,
      defaultTenant: 'acme',
      allowedTenants: ['acme', 'globex'],
    });
    // From cdk.json: a list and a boolean.
    expect(
      stageConfig(ctx({ allowedTenants: ['acme', 'globex'], tenantRequired: true })).props.tenantSelection,
    ).toEqual({ required: true, allowedTenants: ['acme', 'globex'] });
    expect(stageConfig(ctx({})).props.tenantSelection).toBeUndefined();
  });

  test.each([
    [{ tenantHeader: 'Authorization' }, /tenantHeader/],
    [{ tenantHeader: 'X Tenant' }, /tenantHeader/],
    [{ tenantRequired: 'no' }, /tenantRequired must be true or false/],
    [{ defaultTenant: 'Acme' }, /defaultTenant .*slug or UUID/],
    [{ allowedTenants: 'acme,-bad-' }, /allowedTenants/],
  ])('tenant selection %j is refused with a clear error', (values, message) => {
    expect(() => stageConfig(ctx(values))).toThrow(StageConfigError);
    expect(() => stageConfig(ctx(values))).toThrow(message);
  });

  test('JSON values from cdk.json', () => {
    expect(stageConfig(ctx({ allowedCidrs: ['10.0.0.0/8'], waf: false })).props).toMatchObject({
      allowedCidrs: ['10.0.0.0/8'],
      waf: false,
    });
  });

  test.each([
    [{ allowedCidrs: '10.0.0.0/8,10.1.0.0' }, /10\.1\.0\.0/],
    [{ stage: 'Prod' }, /stage must be/],
    [{ ingress: 'nlb' }, /apigateway or alb/],
    [{ waf: 'yes' }, /waf must be true or false/],
    [{ apiEnabled: '1' }, /apiEnabled must be true or false/],
    [{ alarmEmail: 'ops' }, /email/],
    [{ authRejectedThreshold: '0' }, /positive integer/],
    [{ vpcId: 'vpc-1', ingress: 'alb', allowPlainHttp: 'true' }, /vpcId/],
    [{ certificateArn: 'arn:aws:acm:eu-central-1:1:certificate/x' }, /alb only/],
    [{ ssmPrefix: '/aws/registry' }, /may not start with aws or ssm/],
    [{ ssmPrefix: '/SSM/registry' }, /may not start with aws or ssm/],
    [{ ssmPrefix: 'registry' }, /parameter path/],
    [{ wafTenantRateLimit: '500' }, /with waf=true only/],
    [{ waf: 'true', wafTenantRateLimit: '9' }, /wafTenantRateLimit must be an integer of at least 10/],
    [{ verifyReservedConcurrency: '0' }, /verifyReservedConcurrency must be a positive integer or off/],
    [{ tenantReservedConcurrency: 'none' }, /tenantReservedConcurrency must be a positive integer or off/],
    [{ tenantAuthRejectedThreshold: '-1' }, /positive integer/],
    [{ keycloakClientSecretKmsKeyArn: 'alias/registry' }, /KMS key ARN/],
    [{ auditRetentionDays: '29' }, /auditRetentionDays must be an integer of at least 30/],
    [{ auditRetentionDays: '3651' }, /auditRetentionDays must be an integer from 30 to 3650/],
    [{ auditRetentionDays: 'forever' }, /auditRetentionDays must be an integer of at least 30/],
  ])('%j is refused with a clear error', (values, message) => {
    expect(() => stageConfig(ctx(values))).toThrow(message);
  });

  test('the CIDR error is a CidrError, the rest StageConfigError', () => {
    expect(() => stageConfig(ctx({ allowedCidrs: 'nope' }))).toThrow(CidrError);
    expect(() => stageConfig(ctx({ ingress: 'x' }))).toThrow(StageConfigError);
  });
});

describe('stack props are checked at construction', () => {
  test('a malformed CIDR or SSM prefix fails before anything is synthesized', () => {
    expect(() => synthesizeRegistry({ allowedCidrs: ['10.0.0.0/40'] })).toThrow(/0-32/);
    expect(() => synthesizeRegistry({ ssmPrefix: 'no slash' })).toThrow(/ssmPrefix/);
  });

  test('too many ranges for the ALB rule quota is an error, not a half-routed listener', () => {
    const many = Array.from({ length: 12 }, (_, i) => `10.${i}.0.0/16`);
    expect(() =>
      synthesizeRegistry({ ingress: 'alb', certificateArn: CERTIFICATE_ARN, allowedCidrs: many }),
    ).toThrow(/over the quota of 100 rules per load balancer/);
    expect(() => synthesizeRegistry({ ssmPrefix: '/aws/x' })).toThrow(/aws or ssm/);
    expect(() => synthesizeRegistry({ waf: true, wafTenantRateLimit: 5 })).toThrow(/at least 10/);
    expect(() => synthesizeRegistry({ auditRetentionDays: 7 })).toThrow(
      /auditRetentionDays must be an integer from 30 to 3650/,
    );
  });

  test('auditRetentionDays reaches the audit verifier (and only it) as TENANT_REGISTRY_AUDIT_RETENTION_DAYS', () => {
    expect(stageConfig(ctx({ auditRetentionDays: '365' })).props.auditRetentionDays).toBe(365);
    const { app, registry } = synthesizeRegistry({ auditRetentionDays: 365 });
    const assembly = app.synth();
    const withIt = registry.stacks.flatMap((stack) =>
      Object.values(assembly.getStackByName(stack.stackName).template.Resources as Record<string, any>)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .filter(
          (r) => r.Properties.Environment?.Variables?.TENANT_REGISTRY_AUDIT_RETENTION_DAYS !== undefined,
        )
        .map((r) => [
          r.Properties.Description,
          r.Properties.Environment.Variables.TENANT_REGISTRY_AUDIT_RETENTION_DAYS,
        ]),
    );
    expect(withIt).toEqual([[expect.stringMatching(/audit verifier/), '365']]);
  });
});

describe('ALB rule order', () => {
  test('deeper and literal paths come before the wildcards that would swallow them', () => {
    const order = albRuleOrder(specOperations).map((o) => `${o.method} ${o.path}`);
    const expectBefore = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    expectBefore('GET /v1/tenants/by-slug/{slug}', 'GET /v1/tenants/{id}');
    expectBefore('DELETE /v1/tenants/{id}/aliases/{slug}', 'DELETE /v1/tenants/{id}');
    expectBefore('POST /v1/catalog/request', 'PUT /v1/catalog/{key}');
    expect(albPathPattern('/v1/tenants/{id}/aliases/{slug}')).toBe('/v1/tenants/*/aliases/*');
  });
});
