import { WAF_THROTTLED_BODY, WAF_TOO_LARGE_BODY } from '../../lib/constructs/allowlist-waf';
import { assertOneVariablePerLevel } from '../../lib/constructs/rest-api-ingress';
import {
  ALB_MAX_RULES,
  ALB_MAX_VALUES_PER_CONDITION,
  ALB_MAX_VALUES_PER_RULE,
  isRestricted,
  isStreamed,
  STREAMED_OPERATIONS,
} from '../../lib/routing';
import { planeOf } from '../../shared/contract/planes';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { CERTIFICATE_ARN, synthesize, VARIANTS } from './support/synth';
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

  const paths = [...new Set(specOperations.map((o) => o.path))];

  test('one method per operation, at its path, proxying to its own function; HEAD on every GET to the GET function; OPTIONS on every path to one of its functions', () => {
    const found = methods(template);
    const gets = specOperations.filter((o) => o.method === 'GET');
    expect(found).toHaveLength(specOperations.length + gets.length + paths.length);
    for (const op of specOperations) {
      const m = found.find((x) => x.operation === op.operationId);
      expect(m).toMatchObject({ path: op.path, method: op.method });
      expect(m?.fn).toContain(`<${functionIdOf(template, op.operationId)}.Arn>`);
    }
    for (const op of gets) {
      const head = found.filter((x) => x.path === op.path && x.method === 'HEAD');
      expect([op.path, head.map((h) => h.fn)]).toEqual([
        op.path,
        [expect.stringContaining(`<${functionIdOf(template, op.operationId)}.Arn>`)],
      ]);
    }
    expect(found.filter((x) => x.method === 'HEAD')).toHaveLength(gets.length);
    for (const path of paths) {
      const options = found.filter((x) => x.path === path && x.method === 'OPTIONS');
      const own = specOperations
        .filter((o) => o.path === path)
        .map((o) => `<${functionIdOf(template, o.operationId)}.Arn>`);
      expect([path, options.length]).toEqual([path, 1]);
      expect([path, own.some((fn) => options[0]?.fn.includes(fn))]).toEqual([path, true]);
    }
    for (const [, m] of resources(template, 'AWS::ApiGateway::Method')) {
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
    }
  });

  test('the export operations stream: InvokeWithResponseStream and transfer mode STREAM (GET, HEAD, OPTIONS); every other method is buffered', () => {
    expect([...STREAMED_OPERATIONS].sort()).toEqual(['exportAuditEvents', 'exportTenantAuditEvents']);
    const streamedFns = specOperations
      .filter(isStreamed)
      .map((o) => `<${functionIdOf(template, o.operationId)}.Arn>`);
    let streams = 0;
    for (const [, m] of resources(template, 'AWS::ApiGateway::Method')) {
      const uri = render(m.Properties.Integration.Uri);
      const mode = m.Properties.Integration.ResponseTransferMode;
      if (streamedFns.some((fn) => uri.includes(fn))) {
        streams++;
        expect([m.Properties.OperationName, mode]).toEqual([m.Properties.OperationName, 'STREAM']);
        expect(uri).toMatch(/:lambda:path\/2021-11-15\/functions\/<.+>\/response-streaming-invocations$/);
      } else {
        expect([m.Properties.OperationName, mode ?? 'BUFFERED']).toEqual([
          m.Properties.OperationName,
          'BUFFERED',
        ]);
        expect(uri).toMatch(/\/2015-03-31\/functions\/<.+>\/invocations$/);
      }
    }
    // Each export path: GET, HEAD and OPTIONS.
    expect(streams).toBe(6);
  });

  test('one Lambda permission per function: API Gateway, its own path, any method and stage', () => {
    const perms = resources(template, 'AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(perms).toHaveLength(specOperations.length);
    const [apiId] = resources(template, 'AWS::ApiGateway::RestApi')[0] ?? [];
    for (const op of specOperations) {
      const mine = perms.filter(
        (p) => render(p.FunctionName) === `<${functionIdOf(template, op.operationId)}.Arn>`,
      );
      expect([op.operationId, mine.map((p) => render(p.SourceArn))]).toEqual([
        op.operationId,
        [`arn:aws:execute-api:eu-central-1:123456789012:<${apiId}>/*/*${op.path.replace(/\{[^}]+\}/g, '*')}`],
      ]);
    }
  });

  test('every tenant-plane operation: its own function and a method on /{tenant}/..., a root variable beside the static /v1, /healthz, /readyz', () => {
    const tenantOps = specOperations.filter((o) => o.plane === 'tenant');
    expect(tenantOps).toHaveLength(22);
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
    // The stage default (the public probes, and anything unrouted): 10 rps, burst 20.
    expect(p.MethodSettings[0]).toEqual({
      ResourcePath: '/*',
      HttpMethod: '*',
      ThrottlingRateLimit: 10,
      ThrottlingBurstLimit: 20,
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
      MetricsEnabled: true,
    });
  });

  test('throttling per plane: every method of a plane, HEAD and OPTIONS included, has its plane limit', () => {
    const [, stage] = resources(template, 'AWS::ApiGateway::Stage')[0] ?? [];
    const settings = stage?.Properties.MethodSettings as Record<string, unknown>[];
    const expected: Record<string, [number, number]> = {
      operator: [20, 40],
      service: [100, 200],
      tenant: [50, 100],
    };
    const byMethod = new Map(settings.map((x) => [`${x.ResourcePath} ${x.HttpMethod}`, x]));
    for (const m of methods(template)) {
      const key = `${m.path.replace(/\//g, '~1').replace(/^~1/, '/~1')} ${m.method}`;
      const plane = planeOf(m.path);
      const setting = byMethod.get(key);
      if (plane === 'public') {
        expect([key, setting]).toEqual([key, undefined]);
        continue;
      }
      expect([key, setting?.ThrottlingRateLimit, setting?.ThrottlingBurstLimit]).toEqual([
        key,
        ...(expected[plane] ?? []),
      ]);
      // A method setting replaces the stage's: logging and metrics are repeated.
      expect(setting).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true });
    }
    expect(settings).toHaveLength(1 + methods(template).filter((m) => planeOf(m.path) !== 'public').length);
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
    // Blocked outsiders get the app's unknown-route 404, byte for byte (WAF's custom response).
    expect(allowlist.Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 404, CustomResponseBodyKey: 'unknown-route' } },
    });
    expect(acl.CustomResponseBodies['unknown-route']).toEqual({
      ContentType: 'APPLICATION_JSON',
      Content: UNKNOWN_ROUTE_BODY,
    });
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
    expect(body.Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'payload-too-large' } },
    });
    expect(JSON.parse(acl.CustomResponseBodies['payload-too-large'].Content)).toEqual(
      JSON.parse(WAF_TOO_LARGE_BODY),
    );
    expectTenantRateRule(acl, ['/prod/v1/', '/v1/']);
    const [, assoc] = resources(template, 'AWS::WAFv2::WebACLAssociation')[0] ?? [];
    expect(render(assoc?.Properties.ResourceArn)).toMatch(/restapis\/<.*>\/stages\/<.*>/);
    expect(resources(defaults, 'AWS::WAFv2::WebACL')).toHaveLength(0);
  });
});

describe('ingress alb', () => {
  const { template } = synthesize('alb');
  // An ALB cannot stream a Lambda response: the export operations are API Gateway only.
  const albOperations = specOperations.filter((o) => !isStreamed(o));
  const cidrs = VARIANTS.alb.allowedCidrs;

  type Rule = {
    priority: number;
    paths: string[];
    methods?: string[];
    sources?: string[];
    /** The operation whose function it forwards to, or `404` for the fixed unknown-route response. */
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
      const action = p.Actions[0];
      let op = '404';
      if (action.Type === 'forward') {
        const tg = template.Resources[action.TargetGroupArn.Ref];
        const fnId = tg.Properties.Targets[0].Id['Fn::GetAtt'][0];
        op = fnToOp.get(fnId) ?? `unknown ${fnId}`;
      } else {
        expect(action).toEqual({
          Type: 'fixed-response',
          FixedResponseConfig: {
            StatusCode: '404',
            ContentType: 'application/json',
            MessageBody: UNKNOWN_ROUTE_BODY,
          },
        });
      }
      const values = p.Conditions.map(
        (c: Record<string, { Values?: string[] }>) =>
          Object.values(c).find((v) => typeof v === 'object')?.Values?.length ?? 0,
      );
      const methods = cond('http-request-method', 'HttpRequestMethodConfig');
      const sources = cond('source-ip', 'SourceIpConfig');
      return {
        priority: p.Priority,
        paths: cond('path-pattern', 'PathPatternConfig') ?? [],
        ...(methods ? { methods } : {}),
        ...(sources ? { sources } : {}),
        op,
        valueCount: values.reduce((a: number, b: number) => a + b, 0),
        maxPerCondition: Math.max(...values),
      };
    })
    .sort((a, b) => a.priority - b.priority);

  test('every operation is routed; restricted ones once per group of ranges, within the ALB limits', () => {
    // The `alb` mode runs with the quota raised to 120 (4 ranges need 109 rules since the webhook routes).
    expect(rules.length).toBeLessThanOrEqual(VARIANTS.alb.albMaxRules ?? ALB_MAX_RULES);
    for (const r of rules) {
      expect([r.op, r.valueCount <= ALB_MAX_VALUES_PER_RULE]).toEqual([r.op, true]);
      expect([r.op, r.maxPerCondition <= ALB_MAX_VALUES_PER_CONDITION]).toEqual([r.op, true]);
    }
    for (const op of albOperations) {
      const mine = rules.filter((r) => r.op === op.operationId);
      if (!isRestricted(op)) {
        expect([op.operationId, mine.length, mine[0]?.sources]).toEqual([op.operationId, 1, undefined]);
        continue;
      }
      expect([op.operationId, mine.length >= Math.ceil(cidrs.length / ALB_MAX_VALUES_PER_CONDITION)]).toEqual(
        [op.operationId, true],
      );
      // Together the rules carry exactly the allowlist, each range once.
      expect(mine.flatMap((r) => r.sources ?? []).sort()).toEqual([...cidrs].sort());
      for (const r of mine) expect(r.methods).toEqual(mine[0]?.methods);
    }
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
  });

  test('the export operations have no rule: their paths reach no function (the unknown-route 404)', () => {
    for (const op of specOperations.filter(isStreamed)) {
      expect(rules.filter((r) => r.op === op.operationId)).toEqual([]);
      const path = op.path.replace(/\{[^}]+\}/g, 'abc-123');
      expect([op.operationId, route('GET', path, '10.1.2.3') ?? '404']).toEqual([op.operationId, '404']);
    }
  });

  test('methods: its own, HEAD with GET, and OPTIONS on exactly one operation per path', () => {
    for (const op of albOperations) {
      const methods = rules.find((r) => r.op === op.operationId)?.methods ?? [];
      const own = methods.filter((m) => m !== 'OPTIONS');
      expect([op.operationId, own]).toEqual([
        op.operationId,
        op.method === 'GET' ? ['GET', 'HEAD'] : [op.method],
      ]);
    }
    for (const path of new Set(albOperations.map((o) => o.path))) {
      const answering = albOperations.filter(
        (o) => o.path === path && rules.find((r) => r.op === o.operationId)?.methods?.includes('OPTIONS'),
      );
      expect([path, answering.length]).toEqual([path, 1]);
    }
  });

  /** What the listener does with a request: the first rule in priority order that matches. */
  function route(method: string, path: string, sourceIp: string): string | undefined {
    const rule = rules.find(
      (r) =>
        r.paths.some((p) => glob(p).test(path)) &&
        (r.methods === undefined || r.methods.includes(method)) &&
        (r.sources === undefined || r.sources.some((c) => inCidr(sourceIp, c))),
    );
    return rule?.op;
  }

  test('each operation path reaches its own function from every allowlisted range (HEAD and OPTIONS too), and nothing from elsewhere', () => {
    const insiders = ['10.1.2.3', '172.16.5.4', '192.168.1.200', '203.0.113.7'];
    for (const op of albOperations) {
      const path = op.path.replace(/\{[^}]+\}/g, 'abc-123');
      for (const ip of insiders) {
        expect([op.operationId, ip, route(op.method, path, ip)]).toEqual([
          op.operationId,
          ip,
          op.operationId,
        ]);
        if (op.method === 'GET')
          expect([op.operationId, ip, route('HEAD', path, ip)]).toEqual([op.operationId, ip, op.operationId]);
        const options = route('OPTIONS', path, ip);
        expect([path, albOperations.some((o) => o.path === op.path && o.operationId === options)]).toEqual([
          path,
          true,
        ]);
      }
      const outsider = route(op.method, path, '203.0.113.8');
      // From outside, a restricted path reaches the unknown-route 404 rule, never a function.
      expect([op.operationId, outsider]).toEqual([op.operationId, isRestricted(op) ? '404' : op.operationId]);
      if (isRestricted(op)) {
        for (const method of ['HEAD', 'OPTIONS', 'PUT'])
          expect([op.operationId, method, route(method, path, '203.0.113.8')]).toEqual([
            op.operationId,
            method,
            '404',
          ]);
      }
    }
    // Deeper paths are never swallowed by a shallower wildcard rule.
    expect(route('DELETE', '/v1/tenants/abc/aliases/acme', '10.0.0.1')).toBe('removeAlias');
    expect(route('GET', '/v1/tenants/by-slug/acme', '10.0.0.1')).toBe('getTenantBySlug');
  });

  test('tenant-plane and probe rules match any source; every operator and service rule carries the allowlist', () => {
    for (const r of rules) {
      if (r.op === '404') {
        expect(r).toMatchObject({ paths: ['/v1/*'] });
        expect([r.methods, r.sources]).toEqual([undefined, undefined]);
        continue;
      }
      const plane = planeOfOperation(r.op);
      if (plane === 'tenant' || plane === 'public') {
        expect([r.op, r.sources]).toEqual([r.op, undefined]);
      } else {
        expect([r.op, (r.sources ?? []).length > 0]).toEqual([r.op, true]);
        expect(r.paths.every((p) => p.startsWith('/v1/'))).toBe(true);
      }
    }
    const tenantRules = rules.filter((r) => planeOfOperation(r.op) === 'tenant');
    expect(tenantRules.map((r) => `${r.methods?.[0]} ${r.paths.join()}`).sort()).toEqual(
      albOperations
        .filter((o) => o.plane === 'tenant')
        .map((o) => `${o.method} ${o.path.replace(/\{[^}]+\}/g, '*')}`)
        .sort(),
    );
  });

  test('the selected form /tenant/... and a slug reach the tenant functions from anywhere', () => {
    for (const op of albOperations.filter((o) => o.plane === 'tenant')) {
      for (const tenant of ['tenant', 'acme', '0b6f2d4e-8c1a-4f3b-9d2e-5a7c8e9f1b2d']) {
        const path = op.path.replace('{tenant}', tenant).replace(/\{[^}]+\}/g, 'abc-123');
        for (const ip of ['10.1.2.3', '203.0.113.8'])
          expect([path, ip, route(op.method, path, ip)]).toEqual([path, ip, op.operationId]);
      }
    }
  });

  test('from outside the allowlist no function at all answers a /v1/... path: the fixed unknown-route 404 rule comes after every operator rule and before every tenant rule', () => {
    const outsider = '203.0.113.8';
    const probes = albOperations.flatMap((o) =>
      ['abc-123', 'v1', 'tenant', 'internal'].flatMap((v) =>
        [o.method, 'HEAD', 'OPTIONS'].map((m) => [m, o.path.replace(/\{[^}]+\}/g, v)] as const),
      ),
    );
    for (const [method, path] of probes) {
      const reached = route(method, path, outsider);
      if (path.startsWith('/v1/')) {
        expect([method, path, reached]).toEqual([method, path, '404']);
        continue;
      }
      if (reached === undefined) continue;
      const plane = planeOfOperation(reached);
      expect([method, path, plane === 'tenant' || plane === 'public']).toEqual([method, path, true]);
    }
    // Before the split of this rule an outsider's POST /v1/catalog/request reached the tenant
    // function (tenant `v1`) and got its 401; now the 404, like any unknown route.
    expect(route('POST', '/v1/catalog/request', outsider)).toBe('404');
    expect(route('POST', '/v1/catalog/request', '10.1.2.3')).toBe('requestProduct');
    const notFound = rules.findIndex((r) => r.op === '404');
    expect(rules.slice(0, notFound).every((r) => r.op !== '404' && isRestrictedOperation(r.op))).toBe(true);
    expect(rules.slice(notFound + 1).every((r) => !isRestrictedOperation(r.op))).toBe(true);
  });

  test('HTTPS on 443 with the certificate, default action the unknown-route 404 JSON; 80 redirects to 443', () => {
    const listeners = resources(template, 'AWS::ElasticLoadBalancingV2::Listener').map(
      ([, l]) => l.Properties,
    );
    expect(listeners).toHaveLength(2);
    const https = listeners.find((l) => l.Port === 443);
    expect(https).toMatchObject({ Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERTIFICATE_ARN }] });
    expect(https?.DefaultActions).toEqual([
      {
        Type: 'fixed-response',
        FixedResponseConfig: {
          StatusCode: '404',
          ContentType: 'application/json',
          MessageBody: UNKNOWN_ROUTE_BODY,
        },
      },
    ]);
    expect(listeners.find((l) => l.Port === 80)).toMatchObject({
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
    // Both ports open in the security group.
    const [, sg] = resources(template, 'AWS::EC2::SecurityGroup')[0] ?? [];
    expect(sg?.Properties.SecurityGroupIngress.map((i: { FromPort: number }) => i.FromPort).sort()).toEqual([
      443, 80,
    ]);
  });

  test('every Lambda target group takes multi-value headers, so a repeated credential reaches the function', () => {
    const groups = resources(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.length).toBeGreaterThan(0);
    for (const [, group] of groups) {
      expect(group.Properties.TargetType).toBe('lambda');
      expect(group.Properties.TargetGroupAttributes).toEqual(
        expect.arrayContaining([{ Key: 'lambda.multi_value_headers.enabled', Value: 'true' }]),
      );
    }
  });

  test('plain HTTP only when asked (allowPlainHttp), and then no redirect', () => {
    const plain = synthesize('albPlain').template;
    const listeners = resources(plain, 'AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties);
    expect(listeners.map((l) => [l.Port, l.Protocol])).toEqual([[80, 'HTTP']]);
  });

  test('WAF on the load balancer: IP set of the ranges, default allow, the 404 custom response, the tenant rate rule, no body rule (ALB inspects 8 KiB)', () => {
    const [, acl] = resources(template, 'AWS::WAFv2::WebACL')[0] ?? [];
    expect(acl?.Properties.DefaultAction).toEqual({ Allow: {} });
    expect(acl?.Properties.Rules.map((r: { Name: string }) => r.Name)).not.toContain('body-size-limit');
    const allowlist = acl?.Properties.Rules.find(
      (r: { Name: string }) => r.Name === 'operator-and-service-planes-allowlist',
    );
    expect(allowlist.Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 404, CustomResponseBodyKey: 'unknown-route' } },
    });
    expect(acl?.Properties.CustomResponseBodies['unknown-route'].Content).toBe(UNKNOWN_ROUTE_BODY);
    expectTenantRateRule(acl?.Properties, ['/v1/']);
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

function isRestrictedOperation(operationId: string): boolean {
  const op = specOperations.find((o) => o.operationId === operationId);
  return op !== undefined && isRestricted(op);
}

/** The rate-based rule: per source IP, 2000 per 5 minutes by default, on every path but the restricted ones, 429. */
function expectTenantRateRule(acl: Tpl, restrictedPrefixes: string[]): void {
  const rule = acl.Rules.find((r: { Name: string }) => r.Name === 'tenant-plane-rate-per-ip');
  expect(rule.Action).toEqual({
    Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'throttled' } },
  });
  expect(JSON.parse(acl.CustomResponseBodies.throttled.Content)).toEqual(JSON.parse(WAF_THROTTLED_BODY));
  const rate = rule.Statement.RateBasedStatement;
  expect(rate).toMatchObject({ Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
  const scoped = rate.ScopeDownStatement.NotStatement.Statement;
  const prefixes = (scoped.OrStatement?.Statements ?? [scoped]).map(
    (x: { ByteMatchStatement: { SearchString: string; PositionalConstraint: string } }) => [
      x.ByteMatchStatement.PositionalConstraint,
      x.ByteMatchStatement.SearchString,
    ],
  );
  expect(prefixes).toEqual(restrictedPrefixes.map((p) => ['STARTS_WITH', p]));
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
