import {
  AUTH_REJECTED_METRIC,
  AUTH_REJECTED_PATTERN,
  METRIC_NAMESPACE,
} from '../../lib/constructs/monitoring';
import { startStack, type TestStack } from '../support/stack';
import { jsonFilterMatches } from './support/filter-pattern';
import { synthesize } from './support/synth';
import { render, resources, type Tpl } from './support/template';

const { template } = synthesize('api');
const defaults = synthesize('defaults').template;

function patternOf(t: Tpl): string {
  const patterns = new Set(
    resources(t, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties.FilterPattern),
  );
  expect(patterns.size).toBe(1);
  return [...patterns][0];
}

describe('the auth.rejected metric filter', () => {
  test('one pattern on every function log group, feeding TenantRegistry/AuthRejected', () => {
    const functionLogGroups = resources(template, 'AWS::Lambda::Function').map(([, f]) =>
      render(f.Properties.LoggingConfig.LogGroup),
    );
    const filters = resources(template, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    expect(filters.map((f) => `<${f.LogGroupName.Ref}>`).sort()).toEqual(functionLogGroups.sort());
    for (const f of filters) {
      expect(f.MetricTransformations).toEqual([
        { MetricNamespace: METRIC_NAMESPACE, MetricName: AUTH_REJECTED_METRIC, MetricValue: '1' },
      ]);
    }
    expect(patternOf(template)).toBe(AUTH_REJECTED_PATTERN.logPatternString);
    expect(patternOf(template)).toBe('{ $.event = "auth.rejected" }');
  });

  describe('against lines the handlers write', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.close();
    });

    test('matches each rejected credential line and no other line', async () => {
      const pattern = patternOf(template);
      stack.logs.clear();
      expect((await stack.request('GET', '/v1/tenants', { token: null })).status).toBe(401);
      expect(
        (await stack.request('GET', '/v1/version', { headers: { authorization: 'Basic abc' }, token: null }))
          .status,
      ).toBe(401);
      expect((await stack.request('GET', '/v1/tenants', { token: 'x'.repeat(48) })).status).toBe(401);
      const rejected = stack.logs.lines.filter((l) => l.includes('"auth.rejected"'));
      expect(rejected).toHaveLength(3);
      // Traffic that must not count: successes, not-founds, bad input, probes.
      expect((await stack.request('GET', '/v1/tenants')).status).toBe(200);
      expect((await stack.request('GET', '/v1/tenants/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
      expect((await stack.request('POST', '/v1/tenants', { body: { slug: 'v1', name: 'x' } })).status).toBe(
        400,
      );
      expect((await stack.request('GET', '/healthz', { token: null })).status).toBe(200);
      const lines = stack.logs.lines;
      const others = lines.filter((l) => !rejected.includes(l));
      expect(others.length).toBeGreaterThan(0);

      expect(rejected.map((l) => jsonFilterMatches(pattern, l))).toEqual([true, true, true]);
      expect(others.filter((l) => jsonFilterMatches(pattern, l))).toEqual([]);
      // Lines CloudWatch also sees, and near misses.
      for (const line of [
        'START RequestId: 7c1f Version: $LATEST',
        'REPORT RequestId: 7c1f Duration: 3.1 ms',
        'credential rejected auth.rejected',
        '{"event":"auth.rejected.extra"}',
        '{"event":"auth"}',
        '{"message":"auth.rejected"}',
        '{"detail":{"event":"auth.rejected"}}',
        '{"event":null}',
        '["auth.rejected"]',
      ]) {
        expect([line, jsonFilterMatches(pattern, line)]).toEqual([line, false]);
      }
      // The evaluator itself can say yes.
      expect(jsonFilterMatches(pattern, '{"level":"WARN","event":"auth.rejected"}')).toBe(true);
      expect(() => jsonFilterMatches('{ ($.a = 1) || ($.b = 2) }', '{}')).toThrow(/unsupported/);
    });
  });
});

describe('alarms', () => {
  const topicId = resources(template, 'AWS::SNS::Topic')[0]?.[0];

  test('every alarm notifies the one topic; the email is subscribed', () => {
    expect(resources(template, 'AWS::SNS::Topic')).toHaveLength(1);
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, a] of alarms) expect([id, a.Properties.AlarmActions]).toEqual([id, [{ Ref: topicId }]]);
    expect(resources(template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } }),
    ]);
    expect(resources(defaults, 'AWS::SNS::Subscription')).toHaveLength(0);
  });

  test('AuthRejected: Sum over 5 minutes at or above the threshold', () => {
    const alarm = resources(template, 'AWS::CloudWatch::Alarm').find(
      ([, a]) => a.Properties.MetricName === AUTH_REJECTED_METRIC,
    )?.[1].Properties;
    expect(alarm).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm?.Dimensions).toBeUndefined();
  });

  test('5xx rate, function errors and throttles over every function, table throttles, WAF blocks', () => {
    const alarms = resources(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
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
