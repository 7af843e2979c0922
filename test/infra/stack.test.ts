import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { lambdaEsbuildOptions, nodejsFunctionBundling } from '../../lib/bundling';
import { TenantRegistryStack } from '../../lib/tenant-registry-stack';
import { TTL_ATTRIBUTE, tableDefinition } from '../../shared/adapters/dynamodb/table';
import { operations } from '../../shared/contract/spec';

/**
 * The stack as synthesized with cdk.json's feature flags, without bundling: the context key
 * `aws:cdk:bundling-stacks: []` makes the CDK skip asset bundling (no esbuild run per function).
 */
function synth(): Template {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new TenantRegistryStack(app, 'TenantRegistry-test', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  return Template.fromStack(stack);
}

const template = synth();
const ops = operations();

describe('TenantRegistryStack', () => {
  test('one function per openapi.yaml operation', () => {
    expect(ops.length).toBeGreaterThan(0);
    template.resourceCountIs('AWS::Lambda::Function', ops.length);
    for (const op of ops) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(`\\(${op.operationId}\\)$`),
        Handler: 'index.handler',
        Environment: {
          Variables: Match.objectLike({
            TENANT_REGISTRY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^Table') },
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    }
  });

  test('every function is nodejs22.x on arm64', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fns).toHaveLength(ops.length);
    for (const fn of fns) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  test('the table: keys, GSIs, PITR, deletion protection, retained, encrypted, TTL', () => {
    const local = tableDefinition('unused');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        // The same keys and indexes as the table local mode and the tests create.
        KeySchema: local.KeySchema,
        AttributeDefinitions: Match.arrayEquals(local.AttributeDefinitions ?? []),
        GlobalSecondaryIndexes: local.GlobalSecondaryIndexes,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      },
    });
    // AWS-managed key: SSE on, no customer key.
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(table?.Properties.SSESpecification.KMSMasterKeyId).toBeUndefined();
  });

  test('the table keeps its logical id (construct id `Table`)', () => {
    const ids = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    expect(ids).toEqual([expect.stringMatching(/^Table[0-9A-F]{8}$/)]);
  });
});

describe('bundling settings', () => {
  test('the CDK props say what the esbuild options say', () => {
    const b = nodejsFunctionBundling();
    expect(b.format).toBe(lambdaEsbuildOptions.format);
    expect(b.target).toBe('node22');
    expect(b.minify).toBe(true);
    expect(b.sourceMap).toBe(true);
    expect(b.sourcesContent).toBe(lambdaEsbuildOptions.sourcesContent);
    expect(b.mainFields).toEqual(['module', 'main']);
    expect(b.externalModules).toEqual([]);
    expect(b.forceDockerBundling).toBe(false);
    expect(lambdaEsbuildOptions.outExtension['.js']).toBe('.mjs');
  });
});
