import {
  ALIAS_WRITE_ACTIONS,
  accessOf,
  OPERATION_ACCESS,
  OPERATION_SIZING,
  readsAdminSecret,
  TABLE_WRITE_ACTIONS,
} from '../../lib/permissions';
import { isRestricted, RESTRICTED_PLANE_PREFIXES } from '../../lib/routing';
import { GSI_NUMBERS } from '../../shared/adapters/dynamodb/table';
import { planeOf } from '../../shared/contract/planes';
import { synthesize } from './support/synth';
import { actionsOf, functionIdOf, render, specOperations, statementsOf } from './support/template';

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

  test('GET operations are read-only (the map never grants a GET a table write) but on the tenant plane', () => {
    for (const op of specOperations.filter((o) => o.method === 'GET' && o.plane !== 'tenant')) {
      expect([op.operationId, accessOf(op.operationId).table]).not.toEqual([op.operationId, 'write']);
    }
  });

  test('every tenant-plane operation verifies a key (table write: last_used_at) and resolves slugs (aliases read), at 1024 MB', () => {
    const tenantOps = specOperations.filter((o) => o.plane === 'tenant');
    expect(tenantOps.map((o) => o.operationId).sort()).toEqual(
      [
        'getTenantProfile',
        'getTenantEntitlements',
        'requestTenantProduct',
        'requestTenantTrial',
        'listTenantAuditEvents',
        'appendTenantAuditEvent',
        'appendTenantAuditBatch',
        'listTenantApiKeys',
        'createTenantApiKey',
        'revokeTenantApiKey',
        'rollTenantApiKey',
        'getTenantSwagger',
      ].sort(),
    );
    for (const op of tenantOps) {
      expect([op.operationId, accessOf(op.operationId)]).toEqual([
        op.operationId,
        // Slugs resolve on the table's claims: no SSM client, no share of SSM's quota.
        { table: 'write', aliases: 'none' },
      ]);
      expect([op.operationId, OPERATION_SIZING[op.operationId]?.memorySize]).toEqual([op.operationId, 1024]);
      // The off-by-default gate needs the admin token on this plane too.
      expect(readsAdminSecret(op.operationId, op.plane)).toBe(true);
    }
  });

  test('only the alias writers may write aliases', () => {
    const writers = Object.entries(OPERATION_ACCESS)
      .filter(([, a]) => a.aliases === 'write')
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

    // Nothing but these families, ever.
    for (const a of actions) expect(a).toMatch(/^(logs|xray|dynamodb|ssm|secretsmanager):/);
    expect([...actions].filter((a) => a.startsWith('logs:')).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actions).not.toContain('dynamodb:Scan');
    expect([...actions].some((a) => a.endsWith('*'))).toBe(false);

    const tableActions = [...actions].filter((a) => a.startsWith('dynamodb:'));
    const writes = tableActions.filter((a) => (TABLE_WRITE_ACTIONS as readonly string[]).includes(a));
    if (access.table === 'none') expect(tableActions).toEqual([]);
    if (access.table === 'read') expect(writes).toEqual([]);
    if (access.table === 'write') expect(writes.sort()).toEqual([...TABLE_WRITE_ACTIONS].sort());
    expect('TENANT_REGISTRY_TABLE_NAME' in env).toBe(access.table !== 'none');
    for (const s of statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')))) {
      for (const r of s.Resource) expect(render(r)).toMatch(/^<TableCD117FA1\.Arn>(\/index\/GSI\d+)?$/);
      // Only Query reaches the indexes, each named: no `index/*` wildcard.
      if (s.Resource.some((r) => render(r).includes('/index/'))) {
        expect(s.Action).toEqual(['dynamodb:Query']);
        expect(s.Resource.map(render).sort()).toEqual(
          GSI_NUMBERS.map((n) => `<TableCD117FA1.Arn>/index/GSI${n}`).sort(),
        );
      }
    }

    const ssm = [...actions].filter((a) => a.startsWith('ssm:'));
    const ssmWrites = ssm.filter((a) => (ALIAS_WRITE_ACTIONS as readonly string[]).includes(a));
    expect(ssmWrites.length > 0).toBe(ALIAS_WRITERS.has(operationId));
    expect(ssm.length > 0).toBe(access.aliases !== 'none');
    expect(ssm).not.toContain('ssm:GetParametersByPath');
    for (const s of statements.filter((s) => s.Action.some((a) => a.startsWith('ssm:')))) {
      expect(s.Resource.map(render)).toEqual([
        'arn:aws:ssm:eu-central-1:123456789012:parameter/tenant-registry/prod/aliases/*',
      ]);
    }
    expect(env.TENANT_REGISTRY_SSM_PREFIX).toBe(
      access.aliases === 'none' ? undefined : '/tenant-registry/prod',
    );

    const secret = [...actions].filter((a) => a.startsWith('secretsmanager:'));
    const gated = op.plane !== 'public';
    expect(readsAdminSecret(operationId, op.plane)).toBe(gated || operationId === 'getReadyz');
    expect(secret).toEqual(readsAdminSecret(operationId, op.plane) ? ['secretsmanager:GetSecretValue'] : []);
    expect('TENANT_REGISTRY_API_TOKEN_SECRET_ID' in env).toBe(secret.length > 0);
  });
});

describe('spot checks against the issue', () => {
  test('getHealthz touches nothing; getReadyz reads table, parameters and secret', () => {
    const healthz = actionsOf(template, functionIdOf(template, 'getHealthz'));
    expect([...healthz].filter((a) => !/^(logs|xray):/.test(a))).toEqual([]);
    const readyz = actionsOf(template, functionIdOf(template, 'getReadyz'));
    for (const a of ['dynamodb:GetItem', 'ssm:GetParameter', 'secretsmanager:GetSecretValue'])
      expect(readyz).toContain(a);
    for (const a of [...TABLE_WRITE_ACTIONS, ...ALIAS_WRITE_ACTIONS]) expect(readyz).not.toContain(a);
  });

  test('read-only operations hold no write action on table, parameters or secret', () => {
    for (const op of ['listTenants', 'getTenant', 'listAuditEvents', 'getTenantBySlug']) {
      const actions = [...actionsOf(template, functionIdOf(template, op))];
      expect(
        actions.filter((a) =>
          /^(dynamodb|ssm|secretsmanager):(Put|Update|Delete|BatchWrite|ConditionCheck)/.test(a),
        ),
      ).toEqual([]);
    }
  });
});
