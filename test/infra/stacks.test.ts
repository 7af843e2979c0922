import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, synthesize, VARIANTS, type Variant } from './support/synth';
import { resources, type Tpl } from './support/template';

/** The budget of test/infra and the style guide: CloudFormation allows 500 per stack. */
const MAX_RESOURCES_PER_STACK = 300;
const DATA = 'TenantRegistry-test';
const ROLES = ['', '-Operator', '-Tenant', '-Ingress', '-Monitoring', '-Events'];
const variants = Object.keys(VARIANTS) as Variant[];

describe('room to grow: every documented mode, every stack under the budget', () => {
  const counts = variants.flatMap((variant) =>
    Object.entries(synthesize(variant).stacks).map(([stack, t]) => ({
      variant,
      stack,
      resources: Object.keys(t.Resources ?? {}).length,
    })),
  );

  test('six stacks per mode, named <stage id> and <stage id>-<role>', () => {
    for (const variant of variants) {
      expect([variant, Object.keys(synthesize(variant).stacks).sort()]).toEqual([
        variant,
        ROLES.map((r) => `${DATA}${r}`).sort(),
      ]);
    }
  });

  test(`no stack holds more than ${MAX_RESOURCES_PER_STACK} resources`, () => {
    const largest = [...counts].sort((a, b) => b.resources - a.resources)[0];
    // The figures docs/operations.md quotes (test/infra/docs.test.ts compares them); printed so a run shows the headroom.
    console.log(
      `resources per stack (budget ${MAX_RESOURCES_PER_STACK}, CloudFormation's limit 500):\n${variants
        .map(
          (v) =>
            `  ${v.padEnd(9)} ${counts
              .filter((c) => c.variant === v)
              .map((c) => `${c.stack.replace(DATA, 'data').replace('data-', '')}=${c.resources}`)
              .join(' ')}`,
        )
        .join('\n')}\nlargest: ${largest?.stack} in mode ${largest?.variant} with ${largest?.resources}`,
    );
    expect(counts.filter((c) => c.resources > MAX_RESOURCES_PER_STACK)).toEqual([]);
    expect(largest?.resources).toBeGreaterThan(100);
  });
});

describe('cross-stack references survive a redeploy', () => {
  test.each(variants)(
    '%s: no exports, no Fn::ImportValue; every Fn::GetStackOutput names an output that exists',
    (variant) => {
      const { stacks } = synthesize(variant);
      let references = 0;
      for (const [name, t] of Object.entries(stacks)) {
        for (const [id, output] of Object.entries(
          (t.Outputs ?? {}) as Record<string, { Export?: unknown }>,
        )) {
          expect([name, id, output.Export]).toEqual([name, id, undefined]);
        }
        const text = JSON.stringify(t);
        expect([name, text.includes('Fn::ImportValue')]).toEqual([name, false]);
        walk(t, (ref) => {
          references++;
          const producer = stacks[String(ref.StackName)];
          expect([name, ref.StackName, producer !== undefined && ref.StackName !== name]).toEqual([
            name,
            ref.StackName,
            true,
          ]);
          expect([ref.OutputName, producer?.Outputs?.[String(ref.OutputName)] !== undefined]).toEqual([
            ref.OutputName,
            true,
          ]);
        });
      }
      expect(references).toBeGreaterThan(50);
    },
  );

  test('references flow one way: data <- functions <- ingress, and monitoring reads the rest; nothing reads monitoring', () => {
    const { stacks } = synthesize('api');
    const reads = (consumer: string) => {
      const producers = new Set<string>();
      walk(stacks[consumer] ?? {}, (ref) => producers.add(String(ref.StackName)));
      return [...producers].sort();
    };
    expect(reads(DATA)).toEqual([]);
    expect(reads(`${DATA}-Operator`)).toEqual([DATA]);
    expect(reads(`${DATA}-Tenant`)).toEqual([DATA]);
    expect(reads(`${DATA}-Ingress`)).toEqual([`${DATA}-Operator`, `${DATA}-Tenant`]);
    // Function names, the table, the topic; the load balancer's name in ALB mode (API Gateway's
    // metrics name the API by a literal).
    expect(reads(`${DATA}-Monitoring`)).toEqual([
      DATA,
      `${DATA}-Events`,
      `${DATA}-Operator`,
      `${DATA}-Tenant`,
    ]);
    // The table's stream and the alarm topic.
    expect(reads(`${DATA}-Events`)).toEqual([DATA]);
    const alb = synthesize('alb').stacks;
    const monitoringOfAlb = new Set<string>();
    walk(alb[`${DATA}-Monitoring`] ?? {}, (ref) => monitoringOfAlb.add(String(ref.StackName)));
    expect(monitoringOfAlb.has(`${DATA}-Ingress`)).toBe(true);
    for (const variant of variants) {
      for (const [name, t] of Object.entries(synthesize(variant).stacks)) {
        walk(t, (ref) => expect([name, ref.StackName]).not.toEqual([name, `${DATA}-Monitoring`]));
      }
    }
  });
});

describe('existing deploys: the data stack is the single stack of before, under the same logical ids', () => {
  const fixture = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'single-stack-retained.json'), 'utf8'),
  ) as {
    resources: Record<
      string,
      { Type: string; Properties: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }
    >;
  };
  const { stacks } = synthesize('api');
  const data = stacks[DATA] ?? {};
  const current = (id: string) => {
    const r = JSON.parse(JSON.stringify(data.Resources?.[id] ?? null));
    if (r) delete r.Metadata;
    return r;
  };
  const previous = (id: string) => JSON.parse(JSON.stringify(fixture.resources[id]));

  test('the table, the admin token (and its policy), the topic and its email subscription: unchanged', () => {
    // The table gains only the audit origin/key indexes (GSI18-20, issue 9): DynamoDB creates
    // one GSI per UpdateTable, so an existing deploy adds them one deploy at a time
    // (docs/operations.md, "Migrating a single-stack deploy").
    const table = current('TableCD117FA1');
    // And its stream (issue 11, the outbox's reader): an in-place update of the same table.
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    delete table.Properties.StreamSpecification;
    const added = ['GSI18', 'GSI19', 'GSI20'];
    expect(
      table.Properties.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName).slice(-3),
    ).toEqual(added);
    table.Properties.GlobalSecondaryIndexes = table.Properties.GlobalSecondaryIndexes.filter(
      (g: { IndexName: string }) => !added.includes(g.IndexName),
    );
    table.Properties.AttributeDefinitions = table.Properties.AttributeDefinitions.filter(
      (a: { AttributeName: string }) => !/^GSI(18|19|20)(PK|SK)$/.test(a.AttributeName),
    );
    expect(table).toEqual(previous('TableCD117FA1'));
    for (const id of [
      'AdminToken38B307E8',
      'AdminTokenPolicy25813081',
      'MonitoringAlarmTopicAF62D4F1',
      'MonitoringAlarmTopicopsexamplecomF2F02329',
    ]) {
      expect([id, current(id)]).toEqual([id, previous(id)]);
    }
    expect(current('TableCD117FA1')).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(current('AdminToken38B307E8')).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('what changes in place: the rotation schedule (not immediate), the topic policy (the Allow), the rotation log group (retained), the rotation policy (no GetRandomPassword)', () => {
    const schedule = previous('AdminTokenRotationCBF566E6');
    schedule.Properties.RotateImmediatelyOnUpdate = false;
    expect(current('AdminTokenRotationCBF566E6')).toEqual(schedule);

    const policy = previous('MonitoringAlarmTopicPolicyCB9CCFB0');
    const statements = current('MonitoringAlarmTopicPolicyCB9CCFB0').Properties.PolicyDocument.Statement;
    expect(statements.slice(0, 1)).toEqual(policy.Properties.PolicyDocument.Statement);
    expect(statements.slice(1).map((s: { Sid: string }) => s.Sid)).toEqual(['AllowRegistryAlarmsToPublish']);

    const logs = previous('DataRotateAdminTokenLogsB6CD4D9D');
    expect(logs).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(current('DataRotateAdminTokenLogsB6CD4D9D')).toEqual({
      ...logs,
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    for (const id of [
      'DataRotateAdminTokenRole27F15F7F',
      'DataRotateAdminTokenFunctionInvokeN0a2GKfZP0JmDqDEVhhu6A0TUv3NyNbk4YMFKNcDB0A0CE5',
    ]) {
      expect([id, current(id)]).toEqual([id, previous(id)]);
    }
    // The rotation's policy loses GetRandomPassword (least privilege: the rotation draws tokens
    // with node:crypto), and nothing else.
    const rotationPolicy = previous('DataRotateAdminTokenRoleDefaultPolicy26AB3C18');
    const before = rotationPolicy.Properties.PolicyDocument.Statement as { Action: string | string[] }[];
    expect(before.flatMap((st) => [st.Action].flat())).toContain('secretsmanager:GetRandomPassword');
    for (const st of before) {
      if (Array.isArray(st.Action))
        st.Action = st.Action.filter((a) => a !== 'secretsmanager:GetRandomPassword');
    }
    expect(current('DataRotateAdminTokenRoleDefaultPolicy26AB3C18')).toEqual(rotationPolicy);
    const fn = current('DataRotateAdminTokenFunction7D56FD1A');
    const fnBefore = previous('DataRotateAdminTokenFunction7D56FD1A');
    // The code asset's hash follows the sources; everything else stays.
    delete fn.Properties.Code;
    delete fnBefore.Properties.Code;
    expect(fn).toEqual(fnBefore);
  });

  test('nothing stateful lives anywhere else', () => {
    for (const variant of variants) {
      for (const [name, t] of Object.entries(synthesize(variant).stacks)) {
        if (name === DATA) continue;
        for (const type of ['AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret', 'AWS::SNS::Topic']) {
          expect([variant, name, type, resources(t, type).length]).toEqual([variant, name, type, 0]);
        }
      }
      const data = synthesize(variant).stacks[DATA] ?? {};
      expect(resources(data, 'AWS::DynamoDB::Table').map(([id]) => id)).toEqual(['TableCD117FA1']);
      expect(resources(data, 'AWS::SecretsManager::Secret').map(([id]) => id)).toEqual([
        'AdminToken38B307E8',
      ]);
      expect(resources(data, 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['MonitoringAlarmTopicAF62D4F1']);
    }
  });
});

describe('stack outputs: the secret, the alarm topic, the API URL', () => {
  test.each(variants)('%s', (variant) => {
    const { stacks } = synthesize(variant);
    const data = stacks[DATA]?.Outputs ?? {};
    expect(data.AdminTokenSecretArn?.Value).toEqual({ Ref: 'AdminToken38B307E8' });
    expect(data.AlarmTopicArn?.Value).toEqual({ Ref: 'MonitoringAlarmTopicAF62D4F1' });
    const url = JSON.stringify(stacks[`${DATA}-Ingress`]?.Outputs?.ApiUrl?.Value);
    const props = VARIANTS[variant] as { ingress?: string; certificateArn?: string };
    if (props.ingress === 'alb') {
      expect(url).toContain(props.certificateArn ? '"https://"' : '"http://"');
      expect(url).toContain('DNSName');
    } else {
      expect(url).toContain('.execute-api.');
    }
  });
});

/** Calls `visit` with each `Fn::GetStackOutput` argument in a template. */
function walk(v: unknown, visit: (ref: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x, visit);
    return;
  }
  if (!v || typeof v !== 'object') return;
  const o = v as Tpl;
  const ref = o['Fn::GetStackOutput'];
  if (ref && typeof ref === 'object') visit(ref as Record<string, unknown>);
  for (const x of Object.values(o)) walk(x, visit);
}
