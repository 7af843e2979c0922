import { randomUUID } from 'node:crypto';
import * as app from '../../shared/app';
import { type AliasRecord, activeAliases, type Tenant } from '../../shared/domain/tenant';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import {
  FAULT_KINDS,
  type FaultKind,
  type FaultTarget,
  type InjectedFault,
  injectFault,
  withoutRetryWaits,
} from '../support/faults';
import { type Inspector, inspect } from '../support/inspect';
import { type RequestOptions, startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * Faults at every write of every state change, then the client's recovery, then the checks
 * that matter: the table and the published alias map agree (no orphan), every live slug
 * resolves to its tenant, every committed change has exactly one audit event on a chain
 * that verifies, and no response contradicts what was committed.
 *
 * A change writes in this order: one TransactWriteItems (the commit, with its audit event),
 * then the SSM alias writes. A fault kind (see test/support/faults.ts) hits one of those
 * writes; the client then retries the request (only when it got no success: a 5xx or, after
 * a crash, no answer at all), runs the reconciler, or both.
 */

type OperationName = 'create' | 'patch' | 'addAlias' | 'removeAlias' | 'retire';
const RECOVERIES = ['retry', 'reconcile', 'retry+reconcile'] as const;
type Recovery = (typeof RECOVERIES)[number];

interface WritePoint {
  readonly label: string;
  readonly kind: 'commit' | 'publish' | 'unpublish';
  readonly target: FaultTarget;
}

const COMMIT: WritePoint = {
  label: 'commit',
  kind: 'commit',
  target: { service: 'dynamodb', command: 'TransactWriteItemsCommand', nth: 1 },
};
const PUBLISH: WritePoint = {
  label: 'publish',
  kind: 'publish',
  target: { service: 'ssm', command: 'PutParameterCommand', nth: 1 },
};
const unpublish = (nth: number): WritePoint => ({
  label: `unpublish#${nth}`,
  kind: 'unpublish',
  target: { service: 'ssm', command: 'DeleteParameterCommand', nth },
});

/** One tenant (or, for create, one would-be tenant) per scenario. */
interface Subject {
  readonly slug: string;
  /** A second slug: added by addAlias, given beforehand to removeAlias and retire. */
  readonly alias: string;
  readonly newName: string;
  readonly idempotencyKey: string;
  tenantId?: string;
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly options: RequestOptions;
}

interface OperationSpec {
  /** Every write the operation makes, in order. */
  readonly points: readonly WritePoint[];
  readonly successStatus: number;
  /** What a repeat of an operation that already committed is told, when not a success. */
  readonly alreadyDone?: { readonly status: number; readonly error: string };
  /** Fault-free setup: the tenant the operation acts on. */
  prepare(subject: Subject): Promise<void>;
  request(subject: Subject): Request;
  /** Whether the operation's effect is committed. */
  done(tenant: Tenant | undefined, subject: Subject): boolean;
  /** A success body must describe what the table holds. */
  checkSuccess(body: any, tenant: Tenant, subject: Subject): void;
  /** Slugs the operation releases, in the order it unpublishes them. */
  released(subject: Subject): string[];
}

let stack: TestStack;
let table: Inspector;

const aliasOf = (tenant: Tenant | undefined, slug: string): AliasRecord | undefined =>
  tenant?.aliases.find((a) => a.slug === slug);

async function createTenant(subject: Subject): Promise<void> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(subject.slug) });
  expect(res.status).toBe(201);
  subject.tenantId = res.body.tenant.id;
}

async function createTenantWithAlias(subject: Subject): Promise<void> {
  await createTenant(subject);
  const res = await stack.request('POST', `/v1/tenants/${subject.tenantId}/aliases`, {
    body: { slug: subject.alias },
  });
  expect(res.status).toBe(201);
}

const OPERATIONS: Record<OperationName, OperationSpec> = {
  create: {
    points: [COMMIT, PUBLISH],
    successStatus: 201,
    prepare: async () => {},
    request: (s) => ({
      method: 'POST',
      path: '/v1/tenants',
      options: { body: tenantBody(s.slug), headers: { 'idempotency-key': s.idempotencyKey } },
    }),
    done: (tenant) => tenant !== undefined,
    checkSuccess: (body, tenant, s) => {
      expect(body.tenant).toMatchObject({ id: tenant.id, slug: s.slug, version: 1, aliases: [s.slug] });
    },
    released: () => [],
  },
  patch: {
    points: [COMMIT],
    successStatus: 200,
    prepare: createTenant,
    request: (s) => ({
      method: 'PATCH',
      path: `/v1/tenants/${s.tenantId}`,
      options: { body: { name: s.newName } },
    }),
    done: (tenant, s) => tenant?.name === s.newName,
    checkSuccess: (body, tenant, s) => {
      expect(body).toMatchObject({ id: tenant.id, name: s.newName, version: tenant.version });
    },
    released: () => [],
  },
  addAlias: {
    points: [COMMIT, PUBLISH],
    successStatus: 201,
    alreadyDone: { status: 409, error: 'slug_taken' },
    prepare: createTenant,
    request: (s) => ({
      method: 'POST',
      path: `/v1/tenants/${s.tenantId}/aliases`,
      options: { body: { slug: s.alias } },
    }),
    done: (tenant, s) => tenant !== undefined && activeAliases(tenant).some((a) => a.slug === s.alias),
    checkSuccess: (body, tenant, s) => {
      expect(body).toEqual(aliasOf(tenant, s.alias));
      expect(body.retired_at).toBeUndefined();
    },
    released: () => [],
  },
  removeAlias: {
    points: [COMMIT, unpublish(1)],
    successStatus: 200,
    alreadyDone: { status: 404, error: 'not_found' },
    prepare: createTenantWithAlias,
    request: (s) => ({ method: 'DELETE', path: `/v1/tenants/${s.tenantId}/aliases/${s.alias}`, options: {} }),
    done: (tenant, s) => aliasOf(tenant, s.alias)?.retired_at !== undefined,
    checkSuccess: (body, tenant, s) => {
      expect(body).toEqual(aliasOf(tenant, s.alias));
      expect(body.retired_at).toEqual(expect.any(String));
    },
    released: (s) => [s.alias],
  },
  retire: {
    points: [COMMIT, unpublish(1), unpublish(2)],
    successStatus: 200,
    alreadyDone: { status: 409, error: 'invalid_transition' },
    prepare: createTenantWithAlias,
    request: (s) => ({ method: 'DELETE', path: `/v1/tenants/${s.tenantId}`, options: {} }),
    done: (tenant) => tenant?.status === 'archived',
    checkSuccess: (body, tenant) => {
      expect(body).toMatchObject({ id: tenant.id, status: 'archived', version: tenant.version, aliases: [] });
    },
    released: (s) => [s.slug, s.alias],
  },
};

interface Scenario {
  readonly name: string;
  readonly operation: OperationName;
  readonly point: WritePoint;
  readonly fault: FaultKind;
  readonly recovery: Recovery;
}

const SCENARIOS: Scenario[] = (Object.keys(OPERATIONS) as OperationName[]).flatMap((operation) =>
  OPERATIONS[operation].points.flatMap((point) =>
    FAULT_KINDS.flatMap((fault) =>
      RECOVERIES.map((recovery) => ({
        name: `${operation} | ${point.label} | ${fault} | ${recovery}`,
        operation,
        point,
        fault,
        recovery,
      })),
    ),
  ),
);

process.stdout.write(`fault scenarios: ${SCENARIOS.length}\n`);

/** The commit itself failed, so nothing was committed and the caller is told so with a 5xx. */
const commitRefused = (s: Scenario) =>
  s.point.kind === 'commit' && (s.fault === 'throttling' || s.fault === 'server-error');
/** The caller saw an error although the commit happened: a 5xx too, for the client to retry. */
const commitTimedOut = (s: Scenario) => s.point.kind === 'commit' && s.fault === 'timeout-after-commit';

/**
 * Slugs left published after a removal with no retry and no reconciler run yet: the delete
 * failed after the commit and the API answered a (truthful) success, so only the scheduled
 * reconciler repairs it. Any other leftover is a defect.
 */
function pendingOrphans(s: Scenario, subject: Subject, retried: boolean): string[] {
  if (s.recovery !== 'retry' || retried) return [];
  if (s.point.kind !== 'unpublish' || (s.fault !== 'throttling' && s.fault !== 'server-error')) return [];
  const slug = OPERATIONS[s.operation].released(subject)[s.point.target.nth - 1];
  return slug ? [slug] : [];
}

interface Outcome {
  readonly scenario: string;
  readonly first: string;
  readonly retry?: string;
  readonly missingBeforeReconcile: number;
}
const outcomes: Outcome[] = [];

beforeAll(async () => {
  stack = await startStack();
  table = inspect(stack);
});

afterAll(async () => {
  await stack.close();
  const tally = (key: (o: Outcome) => string | undefined) => {
    const counts: Record<string, number> = {};
    for (const o of outcomes) {
      const k = key(o);
      if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
    }
    return JSON.stringify(counts);
  };
  process.stdout.write(
    [
      `fault scenarios run: ${outcomes.length} of ${SCENARIOS.length}`,
      `first responses: ${tally((o) => o.first)}`,
      `retry responses: ${tally((o) => o.retry)}`,
      `scenarios with unpublished live slugs left for the reconciler: ${outcomes.filter((o) => o.missingBeforeReconcile > 0).length}`,
      '',
    ].join('\n'),
  );
});

/**
 * Fresh app clients (and retry quotas) per scenario, so one scenario's faults never leak; the
 * SDK retries as configured, without waiting between attempts (`withoutRetryWaits`).
 */
function freshApp(): void {
  app.dynamodb().destroy();
  app.ssm().destroy();
  app.secretsManager().destroy();
  stack.configure({});
  withoutRetryWaits({ dynamodb: app.dynamodb(), ssm: app.ssm() });
}

async function send(subject: Subject, spec: OperationSpec): Promise<TestResponse<any>> {
  const { method, path, options } = spec.request(subject);
  return stack.request(method, path, options);
}

/** The tenant a subject names; for a create, whoever holds its slug. */
async function currentTenant(subject: Subject): Promise<Tenant | undefined> {
  subject.tenantId ??= (await table.slugClaim(subject.slug))?.tenant_id;
  return subject.tenantId ? table.tenant(subject.tenantId) : undefined;
}

const describeResponse = (res: TestResponse<any>): string =>
  res.status < 300 ? String(res.status) : `${res.status} ${res.body?.error}`;

describe.each(Object.keys(OPERATIONS) as OperationName[])('%s', (operation) => {
  const scenarios = SCENARIOS.filter((s) => s.operation === operation);

  test.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const spec = OPERATIONS[s.operation];
    const base = uniqueSlug('f');
    const subject: Subject = {
      slug: base,
      alias: `${base}-x`,
      newName: `Renamed ${base}`,
      idempotencyKey: randomUUID(),
    };
    freshApp();
    await spec.prepare(subject);

    // The faulted request, checked against the contract like any other (a 5xx included).
    const fault: InjectedFault = injectFault(
      { dynamodb: app.dynamodb(), ssm: app.ssm() },
      s.point.target,
      s.fault,
    );
    let first: TestResponse<any>;
    try {
      first = await send(subject, spec);
    } finally {
      fault.remove();
    }
    expect(fault.reached).toBe(true);
    if (s.fault === 'throttling' || s.fault === 'server-error') expect(fault.hits).toBeGreaterThan(1);
    if (s.fault === 'timeout-after-commit' || s.fault === 'timeout-sdk-retry') expect(fault.hits).toBe(1);
    // A crash refuses whatever the dead process would still have called.
    if (s.fault === 'crash') expect(fault.refusedAfterCrash > 0).toBe(spec.points.at(-1) !== s.point);

    // What the first request committed, and whether its answer says so truthfully.
    const afterFirst = await currentTenant(subject);
    const firstCommitted = spec.done(afterFirst, subject);
    expect(firstCommitted).toBe(!commitRefused(s));
    if (commitRefused(s) || commitTimedOut(s)) {
      // Throttled, failed or timed out at DynamoDB: a dependency's trouble, retry later.
      expect(first.status).toBe(503);
      expect(first.body).toMatchObject({ error: 'service_unavailable' });
    } else {
      expect(first.status).toBe(spec.successStatus);
      spec.checkSuccess(first.body, afterFirst as Tenant, subject);
    }

    // Recovery. The client retries what it has no success for: a 5xx, or no answer at all
    // because the process died before responding.
    const answered = s.fault !== 'crash' && first.status < 500;
    const retried = s.recovery !== 'reconcile' && !answered;
    let retry: TestResponse<any> | undefined;
    if (retried) {
      retry = await send(subject, spec);
      await expectTruthfulRetry(s, subject, retry, firstCommitted);
    }
    const slugs = [subject.slug, subject.alias];
    const missingBeforeReconcile = (await table.aliasDrift(slugs)).missing.length;
    if (s.recovery !== 'retry') await app.aliasReconciler().reconcile();

    outcomes.push({
      scenario: s.name,
      first: `${s.fault === 'crash' ? 'lost ' : ''}${describeResponse(first)}`,
      ...(retry ? { retry: describeResponse(retry) } : {}),
      missingBeforeReconcile,
    });

    // The published alias map: never an orphan and never the wrong tenant; after a
    // reconciler run, exactly the table. The one allowance is `pendingOrphans`: a removal
    // answered 200 whose delete failed afterwards waits for the scheduled reconciler. A
    // client's retry, though, must leave nothing to repair: a repeated removal of what is
    // already removed has to finish the unpublish its first attempt never reached.
    const drift = await table.aliasDrift(slugs);
    expect({
      'published, not active (orphans)': drift.orphans,
      'published for another tenant': drift.wrongOwner,
    }).toEqual({
      'published, not active (orphans)': pendingOrphans(s, subject, retried),
      'published for another tenant': [],
    });
    if (s.recovery !== 'retry')
      expect(await table.aliasDrift()).toEqual({ orphans: [], wrongOwner: [], missing: [] });

    await assertTenantConsistent(subject);
  });
});

test('after every scenario: every tenant in the table is consistent, and one reconciler run leaves no drift', async () => {
  freshApp();
  for (const tenant of await table.tenants()) await assertTenantConsistent({ tenantId: tenant.id });
  await app.aliasReconciler().reconcile();
  expect(await table.aliasDrift()).toEqual({ orphans: [], wrongOwner: [], missing: [] });
});

/**
 * A repeat must not contradict the table either: it succeeds (a create replays its first
 * response exactly when that one committed; a PATCH applies again), or it says that what it
 * asks for is already the case.
 */
async function expectTruthfulRetry(
  s: Scenario,
  subject: Subject,
  retry: TestResponse<any>,
  firstCommitted: boolean,
): Promise<void> {
  const spec = OPERATIONS[s.operation];
  const tenant = await currentTenant(subject);
  expect(spec.done(tenant, subject)).toBe(true);
  if (firstCommitted && spec.alreadyDone) {
    expect({ status: retry.status, error: retry.body?.error }).toEqual(spec.alreadyDone);
    return;
  }
  expect(retry.status).toBe(spec.successStatus);
  spec.checkSuccess(retry.body, tenant as Tenant, subject);
  if (s.operation === 'create')
    expect(retry.headers['idempotent-replayed']).toBe(firstCommitted ? 'true' : undefined);
}

/**
 * One tenant's invariants: one audit event per committed change on a chain that verifies,
 * aliases and slug claims that agree, and slugs that resolve exactly while they are live.
 */
async function assertTenantConsistent(subject: Pick<Subject, 'tenantId'> & Partial<Subject>): Promise<void> {
  const tenant = subject.tenantId ? await table.tenant(subject.tenantId) : undefined;
  if (!tenant) {
    // A create that never committed left nothing behind.
    expect(subject.slug && (await table.slugClaim(subject.slug))).toBeFalsy();
    if (subject.slug)
      expect((await stack.request('GET', `/v1/tenants/by-slug/${subject.slug}`)).status).toBe(404);
    return;
  }

  const events = await table.auditEvents(tenant.id);
  expect(events).toHaveLength(tenant.version);
  expect(events[0]?.action).toBe('tenant.created');
  expect(await table.verifyAuditChain(tenant.id)).toEqual({ ok: true, checked: tenant.version });

  const got = await stack.request('GET', `/v1/tenants/${tenant.id}`);
  expect(got.status).toBe(200);
  expect(got.headers.etag).toBe(`"v${tenant.version}"`);

  for (const alias of tenant.aliases) {
    const claim = await table.slugClaim(alias.slug);
    const live = alias.retired_at === undefined;
    expect({ slug: alias.slug, owner: claim?.tenant_id, live: claim?.retired_at === undefined }).toEqual({
      slug: alias.slug,
      owner: tenant.id,
      live,
    });
    const resolved = await stack.request('GET', `/v1/tenants/by-slug/${alias.slug}`);
    expect({ slug: alias.slug, status: resolved.status, id: resolved.body?.id }).toEqual(
      live
        ? { slug: alias.slug, status: 200, id: tenant.id }
        : { slug: alias.slug, status: 404, id: undefined },
    );
  }
  if (tenant.status !== 'archived') expect(aliasOf(tenant, tenant.slug)?.retired_at).toBeUndefined();
}
