import {
  ALIAS_WRITE_ACTIONS,
  accessOf,
  JOB_ACCESS,
  jobAccessOf,
  OPERATION_ACCESS,
  OPERATION_SIZING,
  readsAdminSecret,
  TABLE_WRITE_ACTIONS,
} from '../../lib/permissions';
import { isRestricted, RESTRICTED_PLANE_PREFIXES } from '../../lib/routing';
import { planeOf } from '../../shared/contract/planes';
import { synthesize } from './support/synth';
import { actionsOf, functionIdOf, render, resources, specOperations, statementsOf } from './support/template';

const { template } = synthesize('api');
const ALIAS_WRITERS = new Set(['createTenant', 'retireTenant', 'addAlias', 'removeAlias']);

describe('the permissions map', () => {
  test('covers exactly the operations of openapi.yaml', () => {
    expect(specOperations.length).toBeGreaterThanOrEqual(29);
    expect(Object.keys(OPERATION_ACCESS).sort()).toEqual(specOperations.map((o) => o.operationId).sort());
  });

  test('an operation the map does not know cannot be deployed', () => {
    expect(() => accessOf('deleteEverything')).toThrow(/lib\/permissions\.ts/);
    expect(() => accessOf('toString')).toThrow();
  });

  test("GET operations write nothing, but the tenant plane's key check (last_used_at, an UpdateItem)", () => {
    for (const op of specOperations.filter((o) => o.method === 'GET')) {
      const access = accessOf(op.operationId);
      const writes = access.table.filter((a) => TABLE_WRITE_ACTIONS.includes(a));
      expect([op.operationId, writes]).toEqual([op.operationId, op.plane === 'tenant' ? ['UpdateItem'] : []]);
      expect([op.operationId, access.aliases.filter((a) => ALIAS_WRITE_ACTIONS.includes(a))]).toEqual([
        op.operationId,
        [],
      ]);
    }
  });

  test('nothing holds an action no code sends: batches, scans, deletes of items but a webhook endpoint', () => {
    // Deleting a webhook endpoint removes it and its signing secrets (no secret outlives its
    // endpoint); no other operation deletes an item.
    const deleting = Object.entries(OPERATION_ACCESS)
      .filter(([, access]) => (access.table ?? []).includes('DeleteItem'))
      .map(([id]) => id);
    expect(deleting.sort()).toEqual(['deleteTenantWebhook', 'deleteWebhook']);
  });

  test('every tenant-plane operation verifies a key (GetItem, UpdateItem: last_used_at), no SSM, at 1024 MB', () => {
    const tenantOps = specOperations.filter((o) => o.plane === 'tenant');
    expect(tenantOps.map((o) => o.operationId).sort()).toEqual(
      [
        'getTenantProfile',
        'getTenantEntitlements',
        'requestTenantProduct',
        'requestTenantTrial',
        'listTenantAuditEvents',
        'exportTenantAuditEvents',
        'appendTenantAuditEvent',
        'appendTenantAuditBatch',
        'listTenantApiKeys',
        'createTenantApiKey',
        'revokeTenantApiKey',
        'rollTenantApiKey',
        'getTenantSwagger',
        'listTenantWebhooks',
        'createTenantWebhook',
        'getTenantWebhook',
        'updateTenantWebhook',
        'deleteTenantWebhook',
        'rotateTenantWebhookSecret',
        'testTenantWebhook',
        'listTenantWebhookDeliveries',
        'retryTenantWebhookDelivery',
      ].sort(),
    );
    for (const op of tenantOps) {
      const access = accessOf(op.operationId);
      expect([op.operationId, access.table.slice(0, 2)]).toEqual([op.operationId, ['GetItem', 'UpdateItem']]);
      // Slugs resolve on the table's claims: no SSM client, no share of SSM's quota.
      expect([op.operationId, access.aliases]).toEqual([op.operationId, []]);
      expect([op.operationId, OPERATION_SIZING[op.operationId]?.memorySize]).toEqual([op.operationId, 1024]);
      // The off-by-default gate needs the admin token on this plane too.
      expect(readsAdminSecret(op.operationId, op.plane)).toBe(true);
    }
    // The GETs read and touch the key, nothing more.
    expect(accessOf('getTenantProfile').table).toEqual(['GetItem', 'UpdateItem']);
  });

  test('the export functions stream for up to 15 minutes (API Gateway keeps a stream open that long); the operator one reads only', () => {
    const operator = accessOf('exportAuditEvents');
    expect(operator.table.filter((a) => TABLE_WRITE_ACTIONS.includes(a))).toEqual([]);
    expect(operator.aliases).toEqual([]);
    for (const op of ['exportAuditEvents', 'exportTenantAuditEvents']) {
      expect([op, OPERATION_SIZING[op]]).toEqual([op, { memorySize: 1024, timeoutSeconds: 900 }]);
      const fn = template.Resources[functionIdOf(template, op)];
      expect([op, fn?.Properties.Timeout]).toEqual([op, 900]);
    }
  });

  test('only the alias writers may write aliases', () => {
    const writers = Object.entries(OPERATION_ACCESS)
      .filter(([, a]) => (a.aliases ?? []).some((x) => ALIAS_WRITE_ACTIONS.includes(x)))
      .map(([id]) => id);
    expect(new Set(writers)).toEqual(ALIAS_WRITERS);
  });

  test('the restricted path prefixes are exactly the operator and service planes', () => {
    for (const path of [
      ...specOperations.map((o) => o.path),
      '/v1/x',
      '/v1/internal/x',
      '/acme/profile',
      '/healthz',
    ]) {
      const restricted = isRestricted({ plane: planeOf(path) });
      expect([path, RESTRICTED_PLANE_PREFIXES.some((p) => path.startsWith(p))]).toEqual([path, restricted]);
    }
  });
});

describe('each function role holds exactly what its map entry grants', () => {
  test.each(specOperations.map((o) => [o.operationId, o] as const))('%s', (operationId, op) => {
    const access = accessOf(operationId);
    const id = functionIdOf(template, operationId);
    const statements = statementsOf(template, id);
    const actions = actionsOf(template, id);
    const env = template.Resources[id].Properties.Environment.Variables as Record<string, unknown>;
    // Every (action, resource) pair the role grants: CDK merges statements, pairs do not change.
    const pairs = statements.flatMap((s) =>
      s.Action.flatMap((a) => s.Resource.map((r) => [a, render(r)] as const)),
    );
    const on = (family: string, resource: (r: string) => boolean) =>
      pairs
        .filter(([a, r]) => a.startsWith(`${family}:`) && resource(r))
        .map(([a]) => a)
        .sort();

    // Nothing but these families, ever.
    for (const a of actions) expect(a).toMatch(/^(logs|xray|dynamodb|ssm|secretsmanager|sqs):/);
    // The delivery queue: send only (test and retry), on that queue only, with its URL.
    const queueActions = [...actions].filter((a) => a.startsWith('sqs:')).sort();
    expect([operationId, queueActions]).toEqual([
      operationId,
      access.webhookQueue ? ['sqs:SendMessage'] : [],
    ]);
    for (const s of statements.filter((s) => s.Action.some((a) => a.startsWith('sqs:')))) {
      expect(s.Resource.map(render)).toEqual(['<DataWebhookDeliveriesC1540619.Arn>']);
    }
    expect('TENANT_REGISTRY_WEBHOOK_QUEUE_URL' in env).toBe(access.webhookQueue === true);
    expect([...actions].filter((a) => a.startsWith('logs:')).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect([...actions].some((a) => a.endsWith('*'))).toBe(false);

    // The table: exactly the map's actions on its ARN, and Query alone on its indexes.
    for (const s of statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')))) {
      for (const r of s.Resource) expect(render(r)).toMatch(/^<Table[0-9A-F]{8}\.Arn>(\/index\/GSI\d+)?$/);
    }
    expect(on('dynamodb', (r) => /^<Table[0-9A-F]{8}\.Arn>$/.test(r))).toEqual(
      access.table.map((a) => `dynamodb:${a}`).sort(),
    );
    const onIndexes = pairs.filter(([, r]) => r.includes('/index/'));
    expect([...new Set(onIndexes.map(([a]) => a))]).toEqual(
      access.indexes.length > 0 ? ['dynamodb:Query'] : [],
    );
    expect(onIndexes.map(([, r]) => r.replace(/^<Table[0-9A-F]{8}\.Arn>/, '')).sort()).toEqual(
      access.indexes.map((n) => `/index/${n}`).sort(),
    );
    expect('TENANT_REGISTRY_TABLE_NAME' in env).toBe(access.table.length > 0 || access.indexes.length > 0);

    // The aliases: exactly the map's actions, on `<prefix>/aliases/*` and nowhere else.
    for (const s of statements.filter((s) => s.Action.some((a) => a.startsWith('ssm:')))) {
      expect(s.Resource.map(render)).toEqual([
        'arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases/*',
      ]);
    }
    expect(on('ssm', () => true)).toEqual(access.aliases.map((a) => `ssm:${a}`).sort());
    expect(ALIAS_WRITERS.has(operationId)).toBe(access.aliases.some((a) => ALIAS_WRITE_ACTIONS.includes(a)));
    expect(env.TENANT_REGISTRY_SSM_PREFIX).toBe(
      access.aliases.length === 0 ? undefined : '/tenant-registry/prod',
    );

    const secret = [...actions].filter((a) => a.startsWith('secretsmanager:'));
    const gated = op.plane !== 'public';
    expect(readsAdminSecret(operationId, op.plane)).toBe(gated || operationId === 'getReadyz');
    expect(secret).toEqual(readsAdminSecret(operationId, op.plane) ? ['secretsmanager:GetSecretValue'] : []);
    expect('TENANT_REGISTRY_API_TOKEN_SECRET_ID' in env).toBe(secret.length > 0);
  });
});

describe('every function is an operation, a job of JOB_ACCESS or the rotation', () => {
  test('the template holds no function without an entry in lib/permissions.ts', () => {
    const unknown = resources(template, 'AWS::Lambda::Function')
      .map(([id, r]) => [id, String(r.Properties.Description)] as const)
      .filter(
        ([id, description]) =>
          !specOperations.some((o) => description.endsWith(`(${o.operationId})`)) &&
          // A job's function is `<its name>/Function` under its stack or its construct (the stream
          // consumer's is under the event pipeline's).
          !Object.keys(JOB_ACCESS).some((job) => new RegExp(`${job}Function[0-9A-F]{8}$`).test(id)) &&
          !/^DataRotateAdminTokenFunction[0-9A-F]{8}$/.test(id),
      );
    expect(unknown).toEqual([]);
    expect(() => jobAccessOf('exportEverything')).toThrow(/JOB_ACCESS in lib\/permissions\.ts/);
  });

  test.each(Object.keys(JOB_ACCESS))("%s's role is exactly its entry", (job) => {
    const access = jobAccessOf(job);
    const [id] = resources(template, 'AWS::Lambda::Function').find(([fid]) =>
      new RegExp(`${job}Function[0-9A-F]{8}$`).test(fid),
    ) ?? [''];
    const pairs = statementsOf(template, id)
      .flatMap((s) => s.Action.flatMap((a) => s.Resource.map((r) => `${a} ${render(r)}`)))
      .filter((p) => !/^(logs|xray):/.test(p))
      .sort();
    const table = '<TableCD117FA1.Arn>';
    const aliases = 'arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases';
    const queue = `<${resources(template, 'AWS::SQS::Queue').find(([q]) => q.startsWith('DataWebhookDeliveries'))?.[0]}.Arn>`;
    const bus = `<${resources(template, 'AWS::Events::EventBus')[0]?.[0]}.Arn>`;
    const deadLetters = `<${resources(template, 'AWS::SQS::Queue').find(([q]) => q.startsWith('EventsDeadLetters'))?.[0]}.Arn>`;
    // What an event source mapping polls or sends with the function's role, beside its entry.
    const EVENT_SOURCE_GRANTS: Record<string, string[]> = {
      // The table's stream, and the on-failure queue (lib/constructs/event-pipeline.ts).
      StreamConsumer: [
        ...['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'].map(
          (a) => `dynamodb:${a} <TableCD117FA1.StreamArn>`,
        ),
        ...['GetQueueAttributes', 'GetQueueUrl', 'SendMessage'].map((a) => `sqs:${a} ${deadLetters}`),
      ],
      // The delivery queue it consumes.
      WebhookSender: [
        'ChangeMessageVisibility',
        'DeleteMessage',
        'GetQueueAttributes',
        'GetQueueUrl',
        'ReceiveMessage',
      ].map((a) => `sqs:${a} ${queue}`),
    };
    expect(pairs).toEqual(
      [
        ...access.table.map((a) => `dynamodb:${a} ${table}`),
        ...access.indexes.map((n) => `dynamodb:Query ${table}/index/${n}`),
        ...access.aliases.map((a) => `ssm:${a} ${a === 'GetParametersByPath' ? aliases : `${aliases}/*`}`),
        ...(access.webhookQueue ? [`sqs:SendMessage ${queue}`] : []),
        ...(access.eventBus ? [`events:PutEvents ${bus}`] : []),
        ...(EVENT_SOURCE_GRANTS[job] ?? []),
      ].sort(),
    );
  });
});

describe('spot checks against the issue', () => {
  const allActions = () =>
    resources(template, 'AWS::IAM::Policy').flatMap(([, p]) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
        [s.Action].flat(),
      ),
    );

  test('no role anywhere holds a batch, a scan or GetRandomPassword; an item delete only the webhook deletes', () => {
    const all = allActions();
    expect(all.length).toBeGreaterThan(100);
    for (const a of [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:Scan',
      'secretsmanager:GetRandomPassword',
    ])
      expect(all).not.toContain(a);
    const deleters = resources(template, 'AWS::Lambda::Function')
      .filter(
        ([id, r]) => r.Properties.Role?.['Fn::GetAtt'] && actionsOf(template, id).has('dynamodb:DeleteItem'),
      )
      .map(([, r]) => String(r.Properties.Description).replace(/^.*\((\w+)\)$/, '$1'))
      .sort();
    expect(deleters).toEqual(['deleteTenantWebhook', 'deleteWebhook']);
  });

  test("the only wildcards: X-Ray's `*` and the alias path; every index by name", () => {
    const wild = resources(template, 'AWS::IAM::Policy').flatMap(([, p]) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((s) => [s.Action].flat().some((a) => /^(dynamodb|ssm|secretsmanager|xray):/.test(a)))
        .flatMap((s) => [s.Resource].flat().map(render))
        .filter((r) => r.includes('*')),
    );
    expect(new Set(wild)).toEqual(
      new Set(['*', 'arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases/*']),
    );
  });

  test('the audit listings query exactly the indexes of their filter combinations', () => {
    // GSI3 without filters, GSI4..GSI17 for the other combinations of tenant, product, actor and
    // action, GSI18 origin, GSI19 tenant + origin, GSI20 the writing key; tenant alone is the
    // chain on the table.
    expect(accessOf('listAuditEvents').indexes).toEqual(Array.from({ length: 18 }, (_, i) => `GSI${i + 3}`));
    expect(accessOf('listAuditEvents').table).toEqual(['GetItem', 'Query']);
    // A tenant's listing always carries its tenant: the odd masks above 1, at mask + 2, then
    // tenant + origin and the writing key (origin with another filter narrows that filter's).
    expect(accessOf('listTenantAuditEvents').indexes).toEqual([
      'GSI5',
      'GSI7',
      'GSI9',
      'GSI11',
      'GSI13',
      'GSI15',
      'GSI17',
      'GSI19',
      'GSI20',
    ]);
  });

  test('getHealthz touches nothing; getReadyz reads one item, one parameter and the secret', () => {
    const healthz = actionsOf(template, functionIdOf(template, 'getHealthz'));
    expect([...healthz].filter((a) => !/^(logs|xray):/.test(a))).toEqual([]);
    const readyz = actionsOf(template, functionIdOf(template, 'getReadyz'));
    expect([...readyz].filter((a) => !/^(logs|xray):/.test(a)).sort()).toEqual([
      'dynamodb:GetItem',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameter',
    ]);
  });

  test("the tenant plane's GETs read and touch their key: no PutItem, no DeleteItem", () => {
    for (const op of specOperations.filter((o) => o.plane === 'tenant' && o.method === 'GET')) {
      const actions = [...actionsOf(template, functionIdOf(template, op.operationId))];
      expect([
        op.operationId,
        actions.filter((a) => /^dynamodb:(Put|Delete|ConditionCheck)/.test(a)),
      ]).toEqual([op.operationId, []]);
    }
  });

  test('the reconciler queries an index and repairs the map; the rotation holds the four actions of its steps', () => {
    const of = (description: RegExp) => {
      const [id] = resources(template, 'AWS::Lambda::Function').find(([, r]) =>
        description.test(String(r.Properties.Description)),
      ) ?? [''];
      return statementsOf(template, id)
        .filter((s) => !s.Action.some((a) => /^(logs|xray):/.test(a)))
        .map((s) => ({ actions: [...s.Action].sort(), resources: s.Resource.map(render) }));
    };
    expect(of(/alias reconciler/)).toEqual(
      expect.arrayContaining([
        {
          actions: ['dynamodb:Query'],
          resources: [expect.stringMatching(/^<Table[0-9A-F]{8}\.Arn>\/index\/GSI1$/)],
        },
        {
          actions: ['ssm:DeleteParameter', 'ssm:PutParameter'],
          resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases/*'],
        },
        {
          actions: ['ssm:GetParametersByPath'],
          resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases'],
        },
      ]),
    );
    expect(of(/alias reconciler/)).toHaveLength(3);
    expect(of(/admin token rotation/)).toEqual([
      {
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [expect.stringMatching(/^<AdminToken[0-9A-F]{8}>$/)],
      },
    ]);
  });
});
