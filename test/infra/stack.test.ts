import { lambdaEsbuildOptions, nodejsFunctionBundling } from '../../lib/bundling';
import { OPERATION_SIZING } from '../../lib/permissions';
import { TenantSelectionError, tenantSelectionEnvironment } from '../../lib/tenant-selection';
import { TTL_ATTRIBUTE, tableDefinition } from '../../shared/adapters/dynamodb/table';
import { synthesize, synthesizeRegistry } from './support/synth';
import { functionIdOf, render, resources, specOperations, statementsOf } from './support/template';

const { template } = synthesize('api');
const defaults = synthesize('defaults').template;

describe('functions', () => {
  test('one function per openapi.yaml operation, plus the reconciler, the audit verifier, the webhook sender, the rotation function and the stream consumer', () => {
    expect(resources(template, 'AWS::Lambda::Function')).toHaveLength(specOperations.length + 5);
    for (const op of specOperations) {
      const fn = template.Resources[functionIdOf(template, op.operationId)].Properties;
      expect(fn.Description).toBe(`Tenant Registry ${op.method} ${op.path} (${op.operationId})`);
      expect(fn.Handler).toBe('index.handler');
    }
  });

  test('nodejs22.x on arm64, traced, each with its own log group and role', () => {
    const fns = resources(template, 'AWS::Lambda::Function');
    const logGroups = new Set<string>();
    const roles = new Set<string>();
    for (const [, fn] of fns) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      logGroups.add(render(fn.Properties.LoggingConfig.LogGroup));
      roles.add(render(fn.Properties.Role));
    }
    expect(logGroups.size).toBe(fns.length);
    expect(roles.size).toBe(fns.length);
  });

  test('memory and timeout per operation; argon2id hashing gets 1024 MB', () => {
    for (const op of specOperations) {
      const fn = template.Resources[functionIdOf(template, op.operationId)].Properties;
      const sizing = OPERATION_SIZING[op.operationId];
      expect([op.operationId, fn.MemorySize]).toEqual([op.operationId, sizing?.memorySize ?? 512]);
      expect([op.operationId, fn.Timeout]).toEqual([op.operationId, sizing?.timeoutSeconds ?? 10]);
    }
    for (const op of ['verifyApiKey', 'createApiKey']) {
      expect(template.Resources[functionIdOf(template, op)].Properties.MemorySize).toBe(1024);
    }
  });

  test('every log group is retained: the auth.rejected evidence outlives a function, a stack, a teardown', () => {
    const groups = resources(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(specOperations.length + 4);
    for (const [id, g] of groups) {
      expect([id, g.DeletionPolicy, g.UpdateReplacePolicy]).toEqual([id, 'Retain', 'Retain']);
    }
    // Each function writes to its own explicit log group, declared in the template.
    for (const [, fn] of resources(template, 'AWS::Lambda::Function')) {
      const group = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(template.Resources[group]?.Type).toBe('AWS::Logs::LogGroup');
    }
  });

  test('reserved concurrency: verifyApiKey and every tenant-plane function, nothing else; off when asked', () => {
    const keycloak = synthesize('keycloak').template;
    for (const op of specOperations) {
      const reserved =
        template.Resources[functionIdOf(template, op.operationId)].Properties.ReservedConcurrentExecutions;
      const expected = op.operationId === 'verifyApiKey' ? 20 : op.plane === 'tenant' ? 10 : undefined;
      expect([op.operationId, reserved]).toEqual([op.operationId, expected]);
      expect(
        keycloak.Resources[functionIdOf(keycloak, op.operationId)].Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
    }
    expect(() => synthesizeRegistry({ tenantReservedConcurrency: 0 })).toThrow(/positive integer or false/);
  });

  test('the stage reaches every endpoint as TENANT_REGISTRY_STAGE (the Stage dimension of its rejections)', () => {
    for (const op of specOperations) {
      expect(
        template.Resources[functionIdOf(template, op.operationId)].Properties.Environment.Variables
          .TENANT_REGISTRY_STAGE,
      ).toBe('prod');
      expect(
        defaults.Resources[functionIdOf(defaults, op.operationId)].Properties.Environment.Variables
          .TENANT_REGISTRY_STAGE,
      ).toBe('dev');
    }
  });

  test('the API enable flag reaches every endpoint: on when asked, off by default', () => {
    for (const op of specOperations) {
      expect(
        template.Resources[functionIdOf(template, op.operationId)].Properties.Environment.Variables
          .TENANT_REGISTRY_API_ENABLED,
      ).toBe('true');
      expect(
        defaults.Resources[functionIdOf(defaults, op.operationId)].Properties.Environment.Variables
          .TENANT_REGISTRY_API_ENABLED,
      ).toBe('false');
    }
  });
});

describe('tenant selection (`/tenant/...`)', () => {
  const SELECTION_VARIABLES = [
    'TENANT_REGISTRY_TENANT_HEADER',
    'TENANT_REGISTRY_TENANT_REQUIRED',
    'TENANT_REGISTRY_DEFAULT_TENANT',
    'TENANT_REGISTRY_ALLOWED_TENANTS',
  ];
  const env = (t: typeof template, operationId: string) =>
    t.Resources[functionIdOf(t, operationId)].Properties.Environment.Variables as Record<string, string>;

  test('the configured selection reaches every tenant-plane function, and only those', () => {
    const tenantOps = specOperations.filter((o) => o.plane === 'tenant');
    expect(tenantOps).toHaveLength(22);
    for (const op of tenantOps) {
      expect([op.operationId, env(template, op.operationId)]).toEqual([
        op.operationId,
        expect.objectContaining({
          TENANT_REGISTRY_TENANT_HEADER: 'X-Org-ID',
          TENANT_REGISTRY_TENANT_REQUIRED: 'false',
          TENANT_REGISTRY_DEFAULT_TENANT: 'acme',
          TENANT_REGISTRY_ALLOWED_TENANTS: 'acme,globex,0b6f2d4e-8c1a-4f3b-9d2e-5a7c8e9f1b2d',
        }),
      ]);
    }
    for (const op of specOperations.filter((o) => o.plane !== 'tenant')) {
      expect([op.operationId, SELECTION_VARIABLES.filter((v) => v in env(template, op.operationId))]).toEqual(
        [op.operationId, []],
      );
    }
  });

  test("nothing configured: no variable, the functions' own defaults apply", () => {
    for (const op of specOperations) {
      expect([op.operationId, SELECTION_VARIABLES.filter((v) => v in env(defaults, op.operationId))]).toEqual(
        [op.operationId, []],
      );
    }
  });

  test('values are checked by the parser the functions run, and normalized', () => {
    expect(
      tenantSelectionEnvironment({ header: 'X-Org-ID', allowedTenants: ' acme , globex,acme,' }),
    ).toEqual({ TENANT_REGISTRY_TENANT_HEADER: 'X-Org-ID', TENANT_REGISTRY_ALLOWED_TENANTS: 'acme,globex' });
    expect(tenantSelectionEnvironment({ required: true, allowedTenants: [] })).toEqual({
      TENANT_REGISTRY_TENANT_REQUIRED: 'true',
    });
    expect(() => tenantSelectionEnvironment({ header: 'Authorization' })).toThrow(
      /tenantHeader \(TENANT_REGISTRY_TENANT_HEADER\)/,
    );
    expect(() => tenantSelectionEnvironment({ defaultTenant: 'Acme Corp' })).toThrow(/defaultTenant/);
    expect(() => tenantSelectionEnvironment({ allowedTenants: ['acme', 'v'] })).toThrow(/allowedTenants/);
    expect(() => synthesizeRegistry({ tenantSelection: { header: 'X-Api-Key' } })).toThrow(
      TenantSelectionError,
    );
  });
});

describe('the table', () => {
  test('keys, GSIs, PITR, deletion protection, retained, encrypted, TTL', () => {
    const local = tableDefinition('unused');
    const tables = resources(template, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const [, table] = tables[0] ?? [];
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const p = table?.Properties;
    // The same keys and indexes as the table local mode and the tests create.
    expect(p.KeySchema).toEqual(local.KeySchema);
    expect(new Set(p.AttributeDefinitions)).toEqual(new Set(local.AttributeDefinitions));
    expect(p.AttributeDefinitions).toHaveLength(local.AttributeDefinitions?.length ?? -1);
    expect(p.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.DeletionProtectionEnabled).toBe(true);
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });

  test('keeps its logical id (construct id `Table`, directly under the data stack)', () => {
    expect(resources(template, 'AWS::DynamoDB::Table').map(([id]) => id)).toEqual(['TableCD117FA1']);
  });
});

describe('the admin token', () => {
  test('generated at deploy: 48 letters and digits, retained', () => {
    const secrets = resources(template, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [id, secret] = secrets[0] ?? [];
    expect(id).toBe('AdminToken38B307E8');
    expect(secret?.Properties.GenerateSecretString).toEqual({
      PasswordLength: 48,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(secret?.Properties.SecretString).toBeUndefined();
    expect(template.Resources[id ?? ''].DeletionPolicy).toBe('Retain');
  });

  test('rotated every 90 days by the rotation function, never at once when the schedule is created or changed', () => {
    const schedules = resources(template, 'AWS::SecretsManager::RotationSchedule');
    expect(schedules).toHaveLength(1);
    const p = schedules[0]?.[1].Properties;
    expect(p.RotationRules.ScheduleExpression).toBe('rate(90 days)');
    // Unset, CloudFormation rotates immediately: a changed schedule would retire AWSPREVIOUS unannounced.
    expect(p.RotateImmediatelyOnUpdate).toBe(false);
    const rotationFn = template.Resources[p.RotationLambdaARN['Fn::GetAtt'][0]];
    expect(rotationFn.Properties.Description).toMatch(/rotation/);
    expect(render(p.SecretId)).toBe(`<${resources(template, 'AWS::SecretsManager::Secret')[0]?.[0]}>`);
  });
});

describe('the alias reconciler', () => {
  test('runs on a schedule with table read and alias repair rights', () => {
    const rules = resources(template, 'AWS::Events::Rule');
    expect(rules).toHaveLength(2);
    const rule = rules.find(([id]) => id.startsWith('ReconcileSchedule'))?.[1].Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 hour)');
    const fnId = rule.Targets[0].Arn['Fn::GetAtt'][0];
    expect(template.Resources[fnId].Properties.Description).toMatch(/alias reconciler/);
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

describe('the audit verifier', () => {
  const rule = resources(template, 'AWS::Events::Rule').find(([id]) =>
    id.startsWith('AuditVerifySchedule'),
  )?.[1].Properties;
  const fnId = rule?.Targets[0].Arn['Fn::GetAtt'][0] as string;
  const fn = template.Resources[fnId].Properties;

  test('runs hourly for up to 15 minutes, with the stage, and no retry (the next run goes on)', () => {
    expect(rule.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    expect(fn.Description).toMatch(/audit verifier/);
    expect(fn.Timeout).toBe(900);
    expect(fn.Environment.Variables.TENANT_REGISTRY_STAGE).toBe('prod');
    expect(Object.keys(fn.Environment.Variables)).toContain('TENANT_REGISTRY_TABLE_NAME');
  });

  test('a broken link pages: the AuditChainBroken alarm reads the EMF metric the job writes, per stage, over an hour', () => {
    const alarm = resources(template, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .find((a) => a.MetricName === 'AuditChainBroken');
    expect(alarm).toMatchObject({
      Namespace: 'TenantRegistry',
      Dimensions: [{ Name: 'Stage', Value: 'prod' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.AlarmName).toMatch(/\.AuditChainBroken$/);
  });

  test('least privilege: reads, and PutItem/UpdateItem on audit items only; no delete, no SSM, no secret', () => {
    const statements = statementsOf(template, fnId);
    const actions = new Set(statements.flatMap((st) => st.Action));
    expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
    );
    expect([...actions].filter((a) => !/^(dynamodb|xray|logs):/.test(a))).toEqual([]);
    const policies = resources(template, 'AWS::IAM::Policy').flatMap(
      ([, p]) => p.Properties.PolicyDocument.Statement,
    );
    const writes = policies.filter(
      (st: { Action: unknown }) =>
        [st.Action].flat().includes('dynamodb:UpdateItem') && JSON.stringify(st).includes('LeadingKeys'),
    );
    expect(writes).toHaveLength(1);
    expect(writes[0].Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*', 'AUDITID#*', 'AUDITRUN#*'] },
    });
  });
});
