import {
  AUTH_REJECTED_METRIC,
  AUTH_REJECTED_PATTERNS,
  METRIC_NAMESPACE,
  STAGE_DIMENSION,
  TENANT_AUTH_REJECTED_METRIC,
} from '../../lib/constructs/monitoring';
import { startStack, type TestStack } from '../support/stack';
import { jsonFilterMatches } from './support/filter-pattern';
import { ENV, synthesize } from './support/synth';
import { functionIdOf, render, resources, specOperations, type Tpl } from './support/template';

const { template, stacks } = synthesize('api');
const defaults = synthesize('defaults').template;
const TEST_STACK = 'TenantRegistry-test';

/** The metric filters of a template, each with the function whose log group it watches. */
function filters(t: Tpl): { fn: string; pattern: string; metric: string; dimensions: unknown }[] {
  const fnOfLogGroup = new Map(
    resources(t, 'AWS::Lambda::Function').map(([id, f]) => [render(f.Properties.LoggingConfig.LogGroup), id]),
  );
  return resources(t, 'AWS::Logs::MetricFilter').map(([, f]) => ({
    fn: fnOfLogGroup.get(render(f.Properties.LogGroupName)) ?? `unknown ${render(f.Properties.LogGroupName)}`,
    pattern: f.Properties.FilterPattern,
    metric: `${f.Properties.MetricTransformations[0].MetricNamespace}/${f.Properties.MetricTransformations[0].MetricName}`,
    dimensions: f.Properties.MetricTransformations[0].Dimensions,
  }));
}

describe('the auth.rejected metric filters, split by plane', () => {
  test('operator and service functions feed AuthRejected, tenant functions TenantAuthRejected, the public plane nothing; each with the Stage dimension from the line', () => {
    const found = filters(template);
    for (const op of specOperations) {
      const mine = found.filter((f) => f.fn === functionIdOf(template, op.operationId));
      const expected =
        op.plane === 'public'
          ? []
          : [
              {
                fn: functionIdOf(template, op.operationId),
                pattern:
                  op.plane === 'tenant'
                    ? '{ ($.event = "auth.rejected") && ($.plane = "tenant") }'
                    : '{ ($.event = "auth.rejected") && (($.plane = "operator") || ($.plane = "service")) }',
                metric:
                  op.plane === 'tenant' ? 'TenantRegistry/TenantAuthRejected' : 'TenantRegistry/AuthRejected',
                dimensions: [{ Key: 'Stage', Value: '$.stage' }],
              },
            ];
      expect([op.operationId, mine]).toEqual([op.operationId, expected]);
    }
    // Nothing else is counted: no filter on the reconciler or the rotation function.
    expect(found).toHaveLength(specOperations.filter((o) => o.plane !== 'public').length);
    expect(AUTH_REJECTED_PATTERNS.admin.logPatternString).toBe(
      found.find((f) => f.metric.endsWith('/AuthRejected'))?.pattern,
    );
  });

  describe('against lines the handlers write', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startStack({ env: { TENANT_REGISTRY_STAGE: 'prod' } });
    });
    afterAll(async () => {
      await stack?.close();
    });

    test('each filter matches its plane rejected-credential lines and no other line', async () => {
      const admin = AUTH_REJECTED_PATTERNS.admin.logPatternString;
      const tenant = AUTH_REJECTED_PATTERNS.tenant.logPatternString;
      stack.logs.clear();
      expect((await stack.request('GET', '/v1/tenants', { token: null })).status).toBe(401);
      expect(
        (await stack.request('GET', '/v1/version', { headers: { authorization: 'Basic abc' }, token: null }))
          .status,
      ).toBe(401);
      expect((await stack.request('GET', '/v1/tenants', { token: 'x'.repeat(48) })).status).toBe(401);
      expect(
        (await stack.request('POST', '/v1/internal/api-keys/verify', { token: null, body: { key: 'x' } }))
          .status,
      ).toBe(401);
      const adminLines = stack.logs.lines.filter((l) => l.includes('"auth.rejected"'));
      expect(adminLines).toHaveLength(4);
      stack.logs.clear();
      // Scanners on the tenant plane: no key, a malformed key.
      expect((await stack.request('GET', '/acme/profile', { token: null })).status).toBe(401);
      expect((await stack.request('GET', '/tenant/profile', { token: 'trk_not-a-key' })).status).toBe(401);
      const tenantLines = stack.logs.lines.filter((l) => l.includes('"auth.rejected"'));
      expect(tenantLines).toHaveLength(2);
      // Each line names its plane and its stage (the Stage dimension's value).
      expect(adminLines.map((l) => [JSON.parse(l).plane, JSON.parse(l).stage])).toEqual([
        ['operator', 'prod'],
        ['operator', 'prod'],
        ['operator', 'prod'],
        ['service', 'prod'],
      ]);
      expect(tenantLines.map((l) => [JSON.parse(l).plane, JSON.parse(l).stage])).toEqual([
        ['tenant', 'prod'],
        ['tenant', 'prod'],
      ]);

      // Traffic that must not count: successes, not-founds, bad input, probes.
      stack.logs.clear();
      expect((await stack.request('GET', '/v1/tenants')).status).toBe(200);
      expect((await stack.request('GET', '/v1/tenants/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
      expect((await stack.request('POST', '/v1/tenants', { body: { slug: 'v1', name: 'x' } })).status).toBe(
        400,
      );
      expect((await stack.request('GET', '/healthz', { token: null })).status).toBe(200);
      const others = stack.logs.lines;
      expect(others.length).toBeGreaterThan(0);

      expect(adminLines.map((l) => [jsonFilterMatches(admin, l), jsonFilterMatches(tenant, l)])).toEqual(
        adminLines.map(() => [true, false]),
      );
      expect(tenantLines.map((l) => [jsonFilterMatches(admin, l), jsonFilterMatches(tenant, l)])).toEqual(
        tenantLines.map(() => [false, true]),
      );
      expect(others.filter((l) => jsonFilterMatches(admin, l) || jsonFilterMatches(tenant, l))).toEqual([]);
      // Lines CloudWatch also sees, and near misses.
      for (const line of [
        'START RequestId: 7c1f Version: $LATEST',
        'REPORT RequestId: 7c1f Duration: 3.1 ms',
        'credential rejected auth.rejected',
        '{"event":"auth.rejected"}',
        '{"event":"auth.rejected","plane":"public"}',
        '{"event":"auth.rejected.extra","plane":"operator"}',
        '{"event":"auth","plane":"tenant"}',
        '{"message":"auth.rejected","plane":"operator"}',
        '{"detail":{"event":"auth.rejected","plane":"operator"}}',
        '{"event":null,"plane":"operator"}',
        '["auth.rejected"]',
      ]) {
        expect([line, jsonFilterMatches(admin, line), jsonFilterMatches(tenant, line)]).toEqual([
          line,
          false,
          false,
        ]);
      }
      // The evaluator itself can say yes, and refuses what it does not know.
      expect(jsonFilterMatches(admin, '{"level":"WARN","event":"auth.rejected","plane":"service"}')).toBe(
        true,
      );
      expect(() => jsonFilterMatches('{ $.a = 1 }', '{}')).toThrow(/unsupported/);
      expect(() => jsonFilterMatches('{ ($.a = "1") ! ($.b = "2") }', '{}')).toThrow(/unsupported/);
    });
  });
});

describe('alarms', () => {
  const dataStack = stacks[TEST_STACK] ?? {};
  const [topicId] = resources(dataStack, 'AWS::SNS::Topic')[0] ?? [];
  const alarms = resources(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const alarmNamed = (name: string) => alarms.find((a) => a.AlarmName === `${TEST_STACK}.${name}`);

  test('the topic lives in the data stack; every alarm notifies it and is named <stack>.<name>; the email is subscribed', () => {
    expect(resources(template, 'AWS::SNS::Topic')).toHaveLength(1);
    expect(topicId).toBe('MonitoringAlarmTopicAF62D4F1');
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) {
      expect([a.AlarmName, a.AlarmActions]).toEqual([a.AlarmName, [{ Ref: topicId }]]);
      expect(a.AlarmName).toMatch(/^TenantRegistry-test\.[A-Za-z0-9]+$/);
    }
    expect(resources(dataStack, 'AWS::SNS::Subscription').map(([, s]) => s.Properties)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } }),
    ]);
    expect(resources(defaults, 'AWS::SNS::Subscription')).toHaveLength(0);
  });

  test("the topic policy lets CloudWatch publish, for this account's registry alarms only, besides the TLS deny", () => {
    const [, policy] = resources(dataStack, 'AWS::SNS::TopicPolicy')[0] ?? [];
    expect(policy?.Properties.Topics).toEqual([{ Ref: topicId }]);
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    expect(statements).toEqual([
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'AllowRegistryAlarmsToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: {
          StringEquals: { 'aws:SourceAccount': ENV.account },
          ArnLike: {
            'aws:SourceArn': `arn:aws:cloudwatch:${ENV.region}:${ENV.account}:alarm:${TEST_STACK}.*`,
          },
        },
      },
    ]);
    // Every alarm's ARN falls under that pattern; another stage's alarm names do not.
    const pattern = new RegExp(`^${TEST_STACK.replace(/[.-]/g, '\\$&')}\\.`);
    for (const a of alarms) expect(pattern.test(String(a.AlarmName))).toBe(true);
    expect(pattern.test('TenantRegistry-test-eu.AuthRejected')).toBe(false);
  });

  test('AuthRejected (operator and service): Sum over 5 minutes at or above the threshold, for this stage only', () => {
    expect(alarmNamed('AuthRejected')).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: AUTH_REJECTED_METRIC,
      Dimensions: [{ Name: STAGE_DIMENSION, Value: 'prod' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarmNamed('AuthRejected')?.AlarmDescription).toMatch(/operator or service credentials/);
  });

  test('TenantAuthRejected: its own metric and a higher threshold (default 500)', () => {
    expect(alarmNamed('TenantAuthRejected')).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: TENANT_AUTH_REJECTED_METRIC,
      Dimensions: [{ Name: STAGE_DIMENSION, Value: 'prod' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 500,
    });
    expect(alarmNamed('TenantAuthRejected')?.AlarmDescription).toMatch(/tenant-plane API keys.*scanners/);
    const def = resources(defaults, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(def.find((a) => a.MetricName === AUTH_REJECTED_METRIC)).toMatchObject({
      Threshold: 10,
      Dimensions: [{ Name: STAGE_DIMENSION, Value: 'dev' }],
    });
  });

  test('every alarm description names its runbook section, and the runbook has it', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('./support/synth');
    const runbook = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const a of alarms) {
      const section = /Runbook: docs\/operations\.md "([A-Za-z]+)"/.exec(String(a.AlarmDescription))?.[1];
      expect([a.AlarmName, section !== undefined]).toEqual([a.AlarmName, true]);
      expect([section, runbook.includes(`### ${section}`)]).toEqual([section, true]);
    }
  });

  test('5xx rate, function errors and throttles over every function, table throttles, WAF blocks', () => {
    expect(alarms.find((a) => a.MetricName === '5XXError')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      Statistic: 'Average',
      Threshold: 0.05,
    });
    const fnIds = resources(template, 'AWS::Lambda::Function').map(([id]) => id);
    for (const metric of ['Errors', 'Throttles']) {
      const covered = alarms
        .filter((a) =>
          a.Metrics?.some(
            (m: { MetricStat?: { Metric: { MetricName: string } } }) =>
              m.MetricStat?.Metric.MetricName === metric,
          ),
        )
        .flatMap((a) =>
          a.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map(
            (m: { MetricStat: { Metric: { Dimensions: { Value: { Ref: string } }[] } } }) =>
              m.MetricStat.Metric.Dimensions[0]?.Value.Ref,
          ),
        );
      expect(covered.sort()).toEqual(fnIds.sort());
    }
    const table = alarms.find((a) =>
      a.Metrics?.some(
        (m: { MetricStat?: { Metric: { MetricName: string } } }) =>
          m.MetricStat?.Metric.MetricName === 'WriteThrottleEvents',
      ),
    );
    expect(table).toBeDefined();
    expect(alarms.find((a) => a.MetricName === 'BlockedRequests')).toMatchObject({ Namespace: 'AWS/WAFV2' });
    expect(
      resources(defaults, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.MetricName),
    ).not.toContain('BlockedRequests');
    expect(resources(template, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });
});
