import { assertOneVariablePerLevel } from '../../lib/constructs/rest-api-ingress';
import {
  ALB_MAX_RULES,
  ALB_MAX_VALUES_PER_CONDITION,
  ALB_MAX_VALUES_PER_RULE,
  isRestricted,
} from '../../lib/routing';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { synthesize, VARIANTS } from './support/synth';
import { functionIdOf, render, resources, specOperations, type Tpl } from './support/template';

/** An ALB path pattern or a resource-policy ARN pattern as a RegExp: `*` any run, `?` one character. */
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

describe('ingress apigateway', () => {
  const { template } = synthesize('api');
  const defaults = synthesize('defaults').template;

  function methods(t: Tpl): { path: string; method: string; operation: string; fn: string }[] {
    const pathOf = (id: string): string => {
      const r = t.Resources[id];
      if (r?.Type !== 'AWS::ApiGateway::Resource') return '';
      return `${pathOf(r.Properties.ParentId.Ref ?? '')}/${r.Properties.PathPart}`;
    };
    return resources(t, 'AWS::ApiGateway::Method').map(([, m]) => ({
      path: m.Properties.ResourceId.Ref ? pathOf(m.Properties.ResourceId.Ref) : '/',
      method: m.Properties.HttpMethod,
      operation: m.Properties.OperationName,
      fn: render(m.Properties.Integration.Uri),
    }));
  }

  test('one method per operation, at its path, proxying to its own function', () => {
    const found = methods(template);
    expect(found).toHaveLength(specOperations.length);
    for (const op of specOperations) {
      const m = found.find((x) => x.operation === op.operationId);
      expect(m).toMatchObject({ path: op.path, method: op.method });
      expect(m?.fn).toContain(`<${functionIdOf(template, op.operationId)}.Arn>`);
    }
    for (const [, m] of resources(template, 'AWS::ApiGateway::Method')) {
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
    }
  });

  test('every tenant-plane operation: its own function and a method on /{tenant}/..., a root variable beside the static /v1, /healthz, /readyz', () => {
    const tenantOps = specOperations.filter((o) => o.plane === 'tenant');
    expect(tenantOps).toHaveLength(11);
    const found = methods(template);
    for (const op of tenantOps) {
      expect(op.path.startsWith('/{tenant}/')).toBe(true);
      const m = found.find((x) => x.operation === op.operationId);
      expect(m).toMatchObject({ path: op.path, method: op.method });
      expect(m?.fn).toContain(`<${functionIdOf(template, op.operationId)}.Arn>`);
    }
    const atRoot = resources(template, 'AWS::ApiGateway::Resource')
      .filter(([, r]) => r.Properties.ParentId['Fn::GetAtt']?.[1] === 'RootResourceId')
      .map(([, r]) => r.Properties.PathPart)
      .sort();
    expect(atRoot).toEqual(['healthz', 'readyz', 'v1', '{tenant}']);
  });

  test('two different path variables under one resource fail at synth, not at deploy', () => {
    expect(() => assertOneVariablePerLevel(['/{tenant}/profile', '/{id}/x'])).toThrow(
      /one path variable under \/: \/\{tenant\}\/profile has \{tenant\}, \/\{id\}\/x has \{id\}/,
    );
    expect(() =>
      assertOneVariablePerLevel(['/{tenant}/api-keys/{id}', '/{tenant}/audit', '/v1/tenants/{id}']),
    ).not.toThrow();
    expect(() => assertOneVariablePerLevel(specOperations.map((o) => o.path))).not.toThrow();
  });

  test('the resource policy, evaluated: tenant plane and probes open to anyone, /v1 only from the allowlist', () => {
    const insider = '10.1.2.3';
    const outsider = '203.0.113.8';
    for (const op of specOperations) {
      const path = op.path.replace(/\{[^}]+\}/g, 'abc-123');
      expect([op.operationId, policyAllows(template, op.method, path, insider)]).toEqual([
        op.operationId,
        true,
      ]);
      expect([op.operationId, policyAllows(template, op.method, path, outsider)]).toEqual([
        op.operationId,
        !isRestricted(op),
      ]);
      // Without an allowlist: the restricted planes are closed to everyone, the rest stays open.
      expect([op.operationId, policyAllows(defaults, op.method, path, insider)]).toEqual([
        op.operationId,
        !isRestricted(op),
      ]);
      if (op.plane === 'tenant') {
        // The selected form: `tenant` in place of the slug, the tenant named by header or query.
        const selected = op.path.replace('{tenant}', 'tenant').replace(/\{[^}]+\}/g, 'abc-123');
        expect([selected, policyAllows(template, op.method, selected, outsider)]).toEqual([selected, true]);
        expect([selected, policyAllows(defaults, op.method, selected, outsider)]).toEqual([selected, true]);
      }
    }
    // A tenant-shaped path under /v1 stays closed whatever resource it would reach.
    for (const path of ['/v1/profile', '/v1/api-keys/abc-123', '/v1/internal/catalog/request']) {
      expect([path, policyAllows(template, 'GET', path, outsider)]).toEqual([path, false]);
      expect([path, policyAllows(template, 'GET', path, insider)]).toEqual([path, true]);
    }
  });

  test('the resource policy denies the operator and service planes outside exactly the configured ranges', () => {
    const [api] = resources(template, 'AWS::ApiGateway::RestApi');
    const statements = api?.[1].Properties.Policy.Statement as Record<string, unknown>[];
    const deny = statements.filter((s) => s.Effect === 'Deny');
    expect(deny).toHaveLength(1);
    expect(deny[0]).toMatchObject({
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*/*/v1/*',
      Condition: { NotIpAddress: { 'aws:SourceIp': [...VARIANTS.api.allowedCidrs] } },
    });
    const allow = statements.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual([
      expect.objectContaining({ Action: 'execute-api:Invoke', Resource: 'execute-api:/*' }),
    ]);
  });

  test('without an allowlist the operator and service planes are denied to everyone', () => {
    const [api] = resources(defaults, 'AWS::ApiGateway::RestApi');
    const deny = ((api?.[1].Properties.Policy.Statement ?? []) as Record<string, unknown>[]).filter(
      (s) => s.Effect === 'Deny',
    );
    expect(deny).toEqual([expect.objectContaining({ Resource: 'execute-api:/*/*/v1/*' })]);
    expect(deny[0]?.Condition).toBeUndefined();
  });

  test('an unknown route, and a denied one, answer the app unknown-route 404 body', () => {
    const responses = resources(template, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    for (const type of [
      'MISSING_AUTHENTICATION_TOKEN',
      'RESOURCE_NOT_FOUND',
      'ACCESS_DENIED',
      'WAF_FILTERED',
    ]) {
      const r = responses.find((x) => x.ResponseType === type);
      expect([type, r?.StatusCode, r?.ResponseTemplates['application/json']]).toEqual([
        type,
        '404',
        UNKNOWN_ROUTE_BODY,
      ]);
      expect(r?.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/json'");
    }
    expect(JSON.parse(UNKNOWN_ROUTE_BODY)).toEqual({ error: 'not_found', message: 'no such route' });
  });

  test('stage: throttling, access logs, tracing, execution logs without data', () => {
    const [, stage] = resources(template, 'AWS::ApiGateway::Stage')[0] ?? [];
    const p = stage?.Properties;
    expect(p.StageName).toBe('prod');
    expect(p.TracingEnabled).toBe(true);
    expect(p.AccessLogSetting.DestinationArn).toBeDefined();
    expect(JSON.parse(p.AccessLogSetting.Format)).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
    });
    expect(p.MethodSettings).toEqual([
      expect.objectContaining({
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      }),
    ]);
  });

  test('WAF: default allow, IP sets of exactly the ranges, a block for the restricted paths outside them, body limit', () => {
    const acls = resources(template, 'AWS::WAFv2::WebACL');
    expect(acls).toHaveLength(1);
    const acl = acls[0]?.[1].Properties;
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    expect(acl.Scope).toBe('REGIONAL');
    const sets = resources(template, 'AWS::WAFv2::IPSet').map(([id, s]) => ({ id, ...s.Properties }));
    expect(sets.map((s) => [s.IPAddressVersion, s.Addresses])).toEqual([
      ['IPV4', ['10.0.0.0/8', '192.168.1.0/24']],
      ['IPV6', ['2001:db8::/32']],
    ]);
    const allowlist = acl.Rules.find(
      (r: { Name: string }) => r.Name === 'operator-and-service-planes-allowlist',
    );
    expect(allowlist.Action).toEqual({ Block: {} });
    const [onPath, notFrom] = allowlist.Statement.AndStatement.Statements;
    expect(
      onPath.OrStatement.Statements.map(
        (s: Record<string, Record<string, unknown>>) => s.ByteMatchStatement?.SearchString,
      ),
    ).toEqual(['/prod/v1/', '/v1/']);
    expect(
      notFrom.NotStatement.Statement.OrStatement.Statements.map(
        (s: Record<string, Record<string, unknown>>) => render(s.IPSetReferenceStatement?.Arn),
      ),
    ).toEqual(sets.map((s) => `<${s.id}.Arn>`));
    const body = acl.Rules.find((r: { Name: string }) => r.Name === 'body-size-limit');
    expect(body.Statement.SizeConstraintStatement).toMatchObject({ ComparisonOperator: 'GT', Size: 65536 });
    const [, assoc] = resources(template, 'AWS::WAFv2::WebACLAssociation')[0] ?? [];
    expect(render(assoc?.Properties.ResourceArn)).toMatch(/restapis\/<.*>\/stages\/<.*>/);
    expect(resources(defaults, 'AWS::WAFv2::WebACL')).toHaveLength(0);
  });
});

describe('ingress alb', () => {
  const { template } = synthesize('alb');
  const cidrs = VARIANTS.alb.allowedCidrs;

  type Rule = {
    priority: number;
    paths: string[];
    methods: string[];
    sources?: string[];
    op: string;
    valueCount: number;
    maxPerCondition: number;
  };
  const fnToOp = new Map(specOperations.map((o) => [functionIdOf(template, o.operationId), o.operationId]));
  const rules: Rule[] = resources(template, 'AWS::ElasticLoadBalancingV2::ListenerRule')
    .map(([, r]) => {
      const p = r.Properties;
      const cond = (field: string, key: string): string[] | undefined =>
        p.Conditions.find((c: { Field: string }) => c.Field === field)?.[key]?.Values;
      const tg = template.Resources[p.Actions[0].TargetGroupArn.Ref];
      const fnId = tg.Properties.Targets[0].Id['Fn::GetAtt'][0];
      const values = p.Conditions.map(
        (c: Record<string, { Values?: string[] }>) =>
          Object.values(c).find((v) => typeof v === 'object')?.Values?.length ?? 0,
      );
      return {
        priority: p.Priority,
        paths: cond('path-pattern', 'PathPatternConfig') ?? [],
        methods: cond('http-request-method', 'HttpRequestMethodConfig') ?? [],
        sources: cond('source-ip', 'SourceIpConfig'),
        op: fnToOp.get(fnId) ?? `unknown ${fnId}`,
        valueCount: values.reduce((a: number, b: number) => a + b, 0),
        maxPerCondition: Math.max(...values),
      };
    })
    .sort((a, b) => a.priority - b.priority);

  test('every operation is routed; restricted ones once per group of 3 ranges, within the ALB limits', () => {
    expect(rules.length).toBeLessThanOrEqual(ALB_MAX_RULES);
    for (const op of specOperations) {
      const mine = rules.filter((r) => r.op === op.operationId);
      if (!isRestricted(op)) {
        expect([op.operationId, mine.length, mine[0]?.sources]).toEqual([op.operationId, 1, undefined]);
        continue;
      }
      expect([op.operationId, mine.length]).toEqual([
        op.operationId,
        Math.ceil(cidrs.length / ALB_MAX_VALUES_PER_CONDITION),
      ]);
      // Together the rules carry exactly the allowlist.
      expect(mine.flatMap((r) => r.sources ?? []).sort()).toEqual([...cidrs].sort());
      for (const r of mine) {
        expect(r.methods).toEqual([op.method]);
        expect(r.valueCount).toBeLessThanOrEqual(ALB_MAX_VALUES_PER_RULE);
        expect(r.maxPerCondition).toBeLessThanOrEqual(ALB_MAX_VALUES_PER_CONDITION);
      }
    }
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
  });

  /** What the listener does with a request: the first rule in priority order that matches. */
  function route(method: string, path: string, sourceIp: string): string | undefined {
    const rule = rules.find(
      (r) =>
        r.paths.some((p) => glob(p).test(path)) &&
        r.methods.includes(method) &&
        (r.sources === undefined || r.sources.some((c) => inCidr(sourceIp, c))),
    );
    return rule?.op;
  }

  test('each operation path reaches its own function from every allowlisted range, and nothing from elsewhere', () => {
    const insiders = ['10.1.2.3', '172.16.5.4', '192.168.1.200', '198.51.100.9', '203.0.113.7'];
    for (const op of specOperations) {
      const path = op.path.replace(/\{[^}]+\}/g, 'abc-123');
      for (const ip of insiders)
        expect([op.operationId, ip, route(op.method, path, ip)]).toEqual([
          op.operationId,
          ip,
          op.operationId,
        ]);
      const outsider = route(op.method, path, '203.0.113.8');
      if (!isRestricted(op)) {
        expect([op.operationId, outsider]).toEqual([op.operationId, op.operationId]);
        continue;
      }
      // From outside, a restricted path reaches no function or (see the next test) a tenant one.
      expect([op.operationId, outsider && planeOfOperation(outsider)]).toEqual([
        op.operationId,
        outsider === undefined ? undefined : 'tenant',
      ]);
    }
    // Deeper paths are never swallowed by a shallower wildcard rule.
    expect(route('DELETE', '/v1/tenants/abc/aliases/acme', '10.0.0.1')).toBe('removeAlias');
    expect(route('GET', '/v1/tenants/by-slug/acme', '10.0.0.1')).toBe('getTenantBySlug');
  });

  test('tenant-plane and probe rules match any source; every operator and service rule carries the allowlist', () => {
    for (const r of rules) {
      const plane = planeOfOperation(r.op);
      if (plane === 'tenant' || plane === 'public') {
        expect([r.op, r.sources]).toEqual([r.op, undefined]);
      } else {
        expect([r.op, (r.sources ?? []).length > 0]).toEqual([r.op, true]);
        expect(r.paths.every((p) => p.startsWith('/v1/'))).toBe(true);
      }
    }
    const tenantRules = rules.filter((r) => planeOfOperation(r.op) === 'tenant');
    expect(tenantRules.map((r) => `${r.methods.join()} ${r.paths.join()}`).sort()).toEqual(
      specOperations
        .filter((o) => o.plane === 'tenant')
        .map((o) => `${o.method} ${o.path.replace(/\{[^}]+\}/g, '*')}`)
        .sort(),
    );
  });

  test('the selected form /tenant/... and a slug reach the tenant functions from anywhere', () => {
    for (const op of specOperations.filter((o) => o.plane === 'tenant')) {
      for (const tenant of ['tenant', 'acme', '0b6f2d4e-8c1a-4f3b-9d2e-5a7c8e9f1b2d']) {
        const path = op.path.replace('{tenant}', tenant).replace(/\{[^}]+\}/g, 'abc-123');
        for (const ip of ['10.1.2.3', '203.0.113.8'])
          expect([path, ip, route(op.method, path, ip)]).toEqual([path, ip, op.operationId]);
      }
    }
  });

  test('from outside the allowlist no operator or service function is reachable; the one fall-through is to a tenant function, with the reserved name v1', () => {
    const outsider = '203.0.113.8';
    const probes = specOperations.flatMap((o) =>
      ['abc-123', 'v1', 'tenant', 'internal'].map(
        (v) => [o.method, o.path.replace(/\{[^}]+\}/g, v)] as const,
      ),
    );
    for (const [method, path] of probes) {
      const reached = route(method, path, outsider);
      if (reached === undefined) continue;
      const plane = planeOfOperation(reached);
      expect([method, path, plane === 'tenant' || plane === 'public']).toEqual([method, path, true]);
      // A path under /v1 that lands on a tenant function names the tenant `v1`: reserved, so 404.
      if (path.startsWith('/v1/')) expect([method, path, plane]).toEqual([method, path, 'tenant']);
    }
    expect(route('POST', '/v1/catalog/request', outsider)).toBe('requestTenantProduct');
    expect(route('POST', '/v1/catalog/request', '10.1.2.3')).toBe('requestProduct');
  });

  test('default action: the unknown-route 404 JSON', () => {
    const [, listener] = resources(template, 'AWS::ElasticLoadBalancingV2::Listener')[0] ?? [];
    expect(listener?.Properties.DefaultActions).toEqual([
      {
        Type: 'fixed-response',
        FixedResponseConfig: {
          StatusCode: '404',
          ContentType: 'application/json',
          MessageBody: UNKNOWN_ROUTE_BODY,
        },
      },
    ]);
  });

  test('WAF on the load balancer: IP set of the ranges, default allow, no body rule (ALB inspects 8 KiB)', () => {
    const [, acl] = resources(template, 'AWS::WAFv2::WebACL')[0] ?? [];
    expect(acl?.Properties.DefaultAction).toEqual({ Allow: {} });
    expect(acl?.Properties.Rules.map((r: { Name: string }) => r.Name)).not.toContain('body-size-limit');
    expect(resources(template, 'AWS::WAFv2::IPSet').map(([, s]) => s.Properties.Addresses)).toEqual([
      [...cidrs],
    ]);
    const [, assoc] = resources(template, 'AWS::WAFv2::WebACLAssociation')[0] ?? [];
    expect(render(assoc?.Properties.ResourceArn)).toMatch(/^<AlbLoadBalancer/);
  });

  test('a new VPC with flow logs; the API Gateway is absent', () => {
    expect(resources(template, 'AWS::EC2::VPC')).toHaveLength(1);
    expect(resources(template, 'AWS::EC2::FlowLog')).toHaveLength(1);
    expect(resources(template, 'AWS::ApiGateway::RestApi')).toHaveLength(0);
  });
});

function planeOfOperation(operationId: string): string | undefined {
  return specOperations.find((o) => o.operationId === operationId)?.plane;
}

/**
 * How API Gateway evaluates the stack's resource policy for a request (IAM semantics): the
 * request's `<stage>/<METHOD>/<path>` against each statement's resources, where `*` matches any
 * characters, `/` included, and `?` one; an explicit Deny wins, else an Allow is needed.
 */
function policyAllows(t: Tpl, method: string, path: string, sourceIp: string): boolean {
  const [api] = resources(t, 'AWS::ApiGateway::RestApi');
  const statements = api?.[1].Properties.Policy.Statement as {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: { NotIpAddress?: { 'aws:SourceIp': string[] } };
  }[];
  const request = `execute-api:/prod/${method}${path}`;
  const applies = (s: (typeof statements)[number]) => {
    if (![s.Action].flat().includes('execute-api:Invoke')) return false;
    if (![s.Resource].flat().some((r) => glob(r).test(request))) return false;
    const conditions = Object.keys(s.Condition ?? {});
    if (conditions.some((c) => c !== 'NotIpAddress')) throw new Error(`unexpected condition ${conditions}`);
    const notFrom = s.Condition?.NotIpAddress?.['aws:SourceIp'];
    return notFrom === undefined || !notFrom.some((c) => !c.includes(':') && inCidr(sourceIp, c));
  };
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}
