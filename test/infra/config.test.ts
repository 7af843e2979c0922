import { CidrError, parseCidr, parseCidrList } from '../../lib/cidrs';
import { albPathPattern, albRuleOrder } from '../../lib/routing';
import { StageConfigError, stageConfig } from '../../lib/stage-config';
import { synthesizeStack } from './support/synth';
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
        waf: 'true',
        apiEnabled: 'true',
        alarmEmail: 'ops@example.com',
        authRejectedThreshold: '20',
      }),
    );
    expect(c.props).toEqual({
      stage: 'prod',
      ingress: 'alb',
      allowedCidrs: ['10.0.0.0/8', '192.168.1.0/24'],
      waf: true,
      apiEnabled: true,
      alarmEmail: 'ops@example.com',
      authRejectedThreshold: 20,
    });
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
    [{ vpcId: 'vpc-1', ingress: 'alb' }, /vpcId/],
    [{ certificateArn: 'arn:aws:acm:eu-central-1:1:certificate/x' }, /alb only/],
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
    expect(() => synthesizeStack({ allowedCidrs: ['10.0.0.0/40'] })).toThrow(/0-32/);
    expect(() => synthesizeStack({ ssmPrefix: 'no slash' })).toThrow(/ssmPrefix/);
  });

  test('too many ranges for the ALB rule quota is an error, not a half-routed listener', () => {
    const many = Array.from({ length: 12 }, (_, i) => `10.${i}.0.0/16`);
    expect(() => synthesizeStack({ ingress: 'alb', allowedCidrs: many })).toThrow(/exceed the ALB quota/);
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
