import { aws_iam as iam } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RegistryFunction } from '../../lib/constructs/registry-function';
import { addNagChecks } from '../../lib/nag';
import type { TenantRegistry } from '../../lib/tenant-registry';
import { synthesize, synthesizeRegistry, VARIANTS, type Variant } from './support/synth';
import { specOperations } from './support/template';

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  test.each(Object.keys(VARIANTS) as Variant[])('%s: no unacknowledged finding', (variant) => {
    const { findings } = synthesize(variant);
    expect(findings).toEqual([]);
  });

  test.each(Object.keys(VARIANTS) as Variant[])(
    '%s: every acknowledgement names its rule and a real reason',
    (variant) => {
      const { acknowledgements } = synthesize(variant);
      // CDK's own constructs acknowledge some of its CloudFormation validation rules; ours are nag's.
      const nag = Object.entries(acknowledgements).filter(([id]) => /^(AwsSolutions|Serverless)-/.test(id));
      expect(nag.length).toBeGreaterThan(5);
      for (const [id, reasons] of nag) {
        expect(id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
        // Never a whole rule for wildcard findings: each resource string is named.
        if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/\[Resource::.+\]$/);
        for (const reason of reasons) expect(reason.length).toBeGreaterThanOrEqual(40);
      }
    },
  );

  test('acknowledgements follow the configuration (APIG3 only without WAF, ALB ones only with an ALB)', () => {
    expect(Object.keys(synthesize('defaults').acknowledgements)).toContain('AwsSolutions-APIG3');
    expect(Object.keys(synthesize('api').acknowledgements)).not.toContain('AwsSolutions-APIG3');
    expect(Object.keys(synthesize('alb').acknowledgements)).toContain('AwsSolutions-EC23');
    expect(Object.keys(synthesize('api').acknowledgements)).not.toContain('AwsSolutions-EC23');
  });
});

describe('acknowledgements are per role: an over-grant is reported', () => {
  // A small stack: one role holds the alias wildcard (acknowledged on it), the others do not.
  const SOME = ['getTenantBySlug', 'listTenants', 'getTenant'];
  const small = () => {
    const { app, registry } = synthesizeRegistry({
      stage: 'prod',
      operations: specOperations.filter((o) => SOME.includes(o.operationId)),
    });
    const getTenant = registry.operator.endpoints.byOperation.get('getTenant');
    if (!getTenant) throw new Error('no getTenant');
    return { app, registry, stack: registry.operator, getTenant };
  };
  const overGrant = (fn: RegistryFunction, registry: TenantRegistry) => {
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [registry.data.data.aliasParameterArn('/*')],
      }),
    );
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${registry.data.table.tableArn}/index/*`],
      }),
    );
  };

  test('the alias wildcard acknowledged on getTenantBySlug, and an index wildcard, are findings on getTenant', () => {
    const { registry, stack, getTenant } = small();
    const pack = new AwsSolutionsChecks();
    expect(pack.validateScope(stack).violations).toEqual([]);
    overGrant(getTenant, registry);
    const found = pack.validateScope(stack).violations.map((v) => ({
      rule: v.ruleName,
      paths: v.violatingResources.map((r) => r.constructPath),
    }));
    const policy = `${getTenant.role.node.path}/DefaultPolicy/Resource`;
    expect(found).toEqual([
      {
        rule: 'AwsSolutions-IAM5[Resource::arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases/*]',
        paths: [policy],
      },
      {
        rule: expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Table[0-9A-F]{8}\.Arn>\/index\/\*\]$/),
        paths: [policy],
      },
    ]);
  });

  test('the app runs the packs on synth (bin/app.ts): clean synthesizes, the over-grant fails naming the role', () => {
    const clean = small();
    addNagChecks(clean.app);
    expect(() => clean.app.synth()).not.toThrow();

    const bad = small();
    overGrant(bad.getTenant, bad.registry);
    addNagChecks(bad.app);
    // Synthesized in memory the error carries the report (`cdk synth` prints it and exits 1).
    let message = '';
    try {
      bad.app.synth();
    } catch (error) {
      message = String(error);
    }
    const policy = `${bad.getTenant.role.node.path}/DefaultPolicy/Resource`;
    const findings = message.split(/\n\s*\n/).filter((block) => block.includes('ERROR'));
    expect(
      findings.map((f) => [f.includes(policy), f.match(/AwsSolutions-IAM5\[Resource::[^\]]+\]/)?.[0]]),
    ).toEqual([
      [
        true,
        'AwsSolutions-IAM5[Resource::arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases/*]',
      ],
      // The table's ARN as the functions stack reads it from the data stack (a weak reference).
      [
        true,
        expect.stringMatching(
          /^AwsSolutions-IAM5\[Resource::\{"Fn::GetStackOutput":\{"StackName":"TenantRegistry-test",.*"OutputName":"[^"]*Table[0-9A-F]{8}Arn[^"]*"\}\}\/index\/\*\]$/,
        ),
      ],
    ]);
  });
});
