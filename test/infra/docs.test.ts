import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { albOperations, albRules } from '../../lib/routing';
import { operations } from '../../shared/contract/spec';
import { ROOT, synthesize, VARIANTS, type Variant } from './support/synth';
import { resources } from './support/template';

/**
 * The figures docs/operations.md and docs/configuration.md quote, counted again in the
 * synthesized templates: when a change moves one, this says which sentence to update.
 */
const text = (file: string) => readFileSync(join(ROOT, 'docs', file), 'utf8').replace(/\s+/g, ' ');
const operationsDoc = text('operations.md');
const configurationDoc = text('configuration.md');
const ROLES = ['', '-Operator', '-Tenant', '-Ingress', '-Monitoring', '-Events'];

/** The numbers a pattern captures in a doc, or a failure that quotes the pattern. */
function quoted(doc: string, pattern: RegExp): number[] {
  const match = pattern.exec(doc);
  if (!match) throw new Error(`the docs no longer say ${pattern}`);
  return match.slice(1).map(Number);
}

function all(variant: Variant) {
  const { stacks } = synthesize(variant);
  const merged = { Resources: Object.assign({}, ...Object.values(stacks).map((t) => t.Resources)) };
  const alarms = resources(merged, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  return {
    stacks,
    functions: resources(merged, 'AWS::Lambda::Function').map(([, f]) => f.Properties),
    alarms: alarms.length,
    // CloudWatch bills an alarm per metric it reads: one, or each MetricStat of its math.
    alarmMetrics: alarms.reduce(
      (n, a) => n + (a.Metrics ? a.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).length : 1),
      0,
    ),
    metricFilters: resources(merged, 'AWS::Logs::MetricFilter').length,
  };
}

describe('docs/operations.md quotes the templates', () => {
  test.each(Object.keys(VARIANTS) as Variant[])('resources per stack of mode %s', (variant) => {
    const { stacks } = all(variant);
    const row = new RegExp(
      `\\(\`${variant}\`\\) \\| (\\d+) \\| (\\d+) \\| (\\d+) \\| (\\d+) \\| (\\d+) \\| (\\d+) \\|`,
    );
    const counted = ROLES.map(
      (role) => Object.keys(stacks[`TenantRegistry-test${role}`]?.Resources ?? {}).length,
    );
    expect(quoted(operationsDoc, row)).toEqual(counted);
  });

  test('cost notes: operations, functions, alarms, alarm metrics, metric filters', () => {
    const api = all('api'); // API Gateway with WAF
    const defaults = all('defaults'); // API Gateway without WAF
    const alb = all('alb');
    expect(
      quoted(operationsDoc, /With (\d+) operations: (\d+) functions .*?; (\d+) with `ingress=alb`/),
    ).toEqual([operations().length, defaults.functions.length, alb.functions.length]);
    expect(quoted(operationsDoc, /(\d+) alarms with WAF and (\d+) without/)).toEqual([
      api.alarms,
      defaults.alarms,
    ]);
    expect(quoted(operationsDoc, /templates hold (\d+) alarms with WAF, (\d+) without/)).toEqual([
      api.alarms,
      defaults.alarms,
    ]);
    expect(quoted(operationsDoc, /10 per alarm; (\d+) functions/)).toEqual([defaults.functions.length]);
    expect(quoted(operationsDoc, /API Gateway mode (\d+) alarm metrics with WAF and (\d+) without/)).toEqual([
      api.alarmMetrics,
      defaults.alarmMetrics,
    ]);
    expect(quoted(operationsDoc, /; (\d+) metric filters/)).toEqual([defaults.metricFilters]);
    expect(quoted(operationsDoc, /Resources per stack, .*?\((\d+) operations;/)).toEqual([
      operations().length,
    ]);
  });

  test('reserved concurrency of the defaults, and what the account needs unreserved', () => {
    const reserved = all('defaults')
      .functions.map((f) => f.ReservedConcurrentExecutions as number | undefined)
      .filter((n): n is number => n !== undefined);
    const [verify, tenantFunctions, each, total, needed] = quoted(
      operationsDoc,
      /The defaults reserve (\d+) \+ (\d+) x (\d+) = (\d+) .*? needs at least (\d+) unreserved/,
    );
    expect([verify, tenantFunctions, each]).toEqual([
      Math.max(...reserved),
      reserved.length - 1,
      Math.min(...reserved),
    ]);
    expect([total, needed]).toEqual([
      reserved.reduce((a, b) => a + b, 0),
      reserved.reduce((a, b) => a + b, 0) + 100,
    ]);
  });
});

test('docs/configuration.md: ALB listener rules needed per number of ranges', () => {
  const ranges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.1.0/24', '203.0.113.0/24', '198.51.100.0/24'];
  expect(
    quoted(configurationDoc, /(\d+) for 1 range, (\d+) for 2, (\d+) for 3, (\d+) for 4, (\d+) for 5/),
  ).toEqual(
    // The ALB routes every operation but the streamed exports (lib/routing.ts albOperations).
    [1, 2, 3, 4, 5].map((n) => albRules(albOperations(operations()), ranges.slice(0, n)).length),
  );
});
