import { randomBytes, randomUUID } from 'node:crypto';
import * as app from '../../shared/app';
import { operations } from '../../shared/contract/spec';
import { formatKey, SCOPES, uuidToIdPart } from '../../shared/domain/api-key';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { pendingDelivery } from '../../shared/services/webhooks';
import { ManualClock } from '../support/clock';
import { byDepth } from '../support/depth';
import { fileStack, type TestResponse } from '../support/stack';

/**
 * Issue 5's isolation matrix: every tenant-plane route in openapi.yaml x every way of naming
 * the tenant x every credential x tenant pairs with prefix collisions (acme/acme-corp,
 * a10/a100, and their aliases). Each attempt's status is checked against the rules (the
 * oracle below), and its response body, headers and log lines are searched for anything of
 * a tenant the caller does not own: id, slugs, aliases, key ids and plaintexts, marker data.
 *
 * `npm test` sends every route x naming x credential once, against one of the pairs in turn (each
 * pair meets every route); TEST_DEPTH=deep sends each of them against every pair.
 */

/** Every route x naming x credential against every pair (deep), or against one pair in turn. */
const EVERY_PAIR = byDepth(false, true);

const clock = new ManualClock();
const stack = fileStack(clock);
/** Admitted creates of webhook endpoints run into the per-tenant limit otherwise. */
const WEBHOOK_ROOM = { TENANT_REGISTRY_WEBHOOK_MAX_ENDPOINTS: '1000' };
beforeAll(() => stack.configure(WEBHOOK_ROOM, { clock }));

interface Tenant {
  readonly slug: string;
  readonly alias: string;
  /** An alias the tenant had and lost (removed after use): it names nobody now. */
  readonly removed: string;
  readonly id: string;
  /** Unique text in the tenant's name, its audit trail and its product: found anywhere else, it leaked. */
  readonly marker: string;
  readonly product: string;
  /** All scopes. */
  readonly key: string;
  readonly keyId: string;
  /** A second key: the target of other tenants' DELETE and roll attempts; must stay live and unchanged. */
  readonly victimKeyId: string;
  readonly victimKey: string;
  /** The victim key's expiry as created: a roll by another tenant would move it. */
  readonly victimExpiresAt: string | null;
  readonly revokedKey: string;
  readonly expiredKey: string;
  /** The main key's id with a wrong secret and a right checksum: costs a read and a hash to refuse. */
  readonly forgedKey: string;
  /** A webhook endpoint of the tenant (with one delivery): the target of other tenants' webhook probes. */
  readonly victimHookId: string;
  readonly victimHookUpdatedAt: string;
  readonly victimDeliveryId: string;
  /** Every key id of the tenant, including those its own probes create. */
  readonly keyIds: Set<string>;
  /** Plain substrings (ids, key material, markers) no other caller may see. */
  readonly substrings: string[];
  /** Slugs and aliases, matched as whole tokens (`acme` inside `acme-corp` is not `acme`). */
  readonly tokens: RegExp[];
}

const SHARED_PRODUCT = 'widget';
/** Slugs and aliases chosen to collide by prefix, across tenants too (`acme-co` / `acme-corp`). */
const TENANTS = [
  { slug: 'acme', alias: 'acme-co' },
  { slug: 'acme-corp', alias: 'acme-corporation' },
  { slug: 'a10', alias: 'a10-x' },
  { slug: 'a100', alias: 'a1000' },
] as const;
const PAIRS: readonly (readonly [string, string])[] = [
  ['acme', 'acme-corp'],
  ['acme-corp', 'acme'],
  ['a10', 'a100'],
  ['a100', 'a10'],
];

const tokenPattern = (word: string) =>
  new RegExp(`(?<![a-z0-9-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9-])`);

function keyMaterial(id: string, plaintext?: string): string[] {
  const idPart = uuidToIdPart(id);
  return [id, idPart, `_${idPart.slice(0, 8)}`, ...(plaintext ? [plaintext] : [])];
}

async function ok<T = any>(res: Promise<TestResponse<T>>, status: number): Promise<TestResponse<T>> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  return r;
}

async function createKey(tenantId: string, name: string, extra: Record<string, unknown> = {}) {
  const res = await ok(
    stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: tenantId, name, scopes: [...SCOPES], ...extra },
    }),
    201,
  );
  return {
    id: res.body.api_key.id as string,
    plaintext: res.body.plaintext as string,
    expiresAt: res.body.api_key.expires_at as string | null,
  };
}

async function setUp(): Promise<Map<string, Tenant>> {
  await ok(
    stack.request('PUT', `/v1/catalog/${SHARED_PRODUCT}`, {
      body: { name: 'Widget', description: 'shared', plans_required: [], supports_trial: true },
    }),
    200,
  );
  const out = new Map<string, Tenant>();
  for (const { slug, alias } of TENANTS) {
    const marker = `mk${randomBytes(8).toString('hex')}`;
    const created = await ok(
      stack.request('POST', '/v1/tenants', { body: { slug, name: `Org ${marker}` } }),
      201,
    );
    const id = created.body.tenant.id as string;
    await ok(stack.request('POST', `/v1/tenants/${id}/aliases`, { body: { slug: alias } }), 201);
    const removed = `${slug}-gone`;
    await ok(stack.request('POST', `/v1/tenants/${id}/aliases`, { body: { slug: removed } }), 201);
    const product = `p${marker}`;
    await ok(
      stack.request('PUT', `/v1/catalog/${product}`, {
        body: { name: `Product ${marker}`, description: marker, plans_required: [], supports_trial: false },
      }),
      200,
    );
    await ok(stack.request('PUT', `/v1/tenants/${id}/entitlements/${product}`), 200);
    await ok(
      stack.request('POST', '/v1/audit', {
        body: { tenant_id: id, action: 'isolation.marker', target_name: marker, metadata: { marker } },
      }),
      201,
    );
    const main = await createKey(id, `main ${marker}`);
    // Resolved (so cached) while it was the tenant's, then removed: it must stop naming it at once.
    await ok(stack.request('GET', `/${removed}/profile`, { token: main.plaintext }), 200);
    await ok(stack.request('DELETE', `/v1/tenants/${id}/aliases/${removed}`), 200);
    const victim = await createKey(id, `victim ${marker}`);
    const revoked = await createKey(id, `revoked ${marker}`);
    await ok(stack.request('DELETE', `/v1/api-keys/${revoked.id}`), 204);
    const expired = await createKey(id, `expired ${marker}`, {
      expires_at: new Date(clock.now().getTime() + 60_000).toISOString(),
    });
    const keys = [main, victim, revoked, expired];
    const hook = await ok(
      stack.request('POST', '/v1/webhooks', {
        body: { url: 'https://hooks.example.com/in', events: ['*'], tenant_id: id, description: marker },
      }),
      201,
    );
    const hookId = hook.body.webhook.id as string;
    // A delivery in its log, written straight to the store: nothing is queued, nothing is sent.
    const deliveryId = `${Date.now()}${out.size}00`;
    const event = {
      id: deliveryId,
      type: 'isolation.marker',
      created_at: clock.now().toISOString(),
      tenant_id: id,
      sequence: 1,
      data: {},
    };
    await app.webhookStore().createDelivery(pendingDelivery(hook.body.webhook, event, clock.now()), event);
    out.set(slug, {
      victimHookId: hookId,
      victimHookUpdatedAt: hook.body.webhook.updated_at,
      victimDeliveryId: deliveryId,
      slug,
      alias,
      removed,
      id,
      marker,
      product,
      key: main.plaintext,
      keyId: main.id,
      victimKeyId: victim.id,
      victimKey: victim.plaintext,
      victimExpiresAt: victim.expiresAt,
      revokedKey: revoked.plaintext,
      expiredKey: expired.plaintext,
      forgedKey: formatKey('trk', main.id, randomBytes(32)),
      keyIds: new Set(keys.map((k) => k.id)),
      substrings: [
        id,
        marker,
        product,
        hookId,
        hook.body.secret.slice(6),
        ...keys.flatMap((k) => keyMaterial(k.id, k.plaintext)),
      ],
      tokens: [tokenPattern(slug), tokenPattern(alias), tokenPattern(removed)],
    });
  }
  // Every expired key is now past its expiry (and every cache entry is as cold as it gets).
  clock.advance(61_000);
  return out;
}

/* ---- How the request names the tenant ---------------------------------------------------- */

type Outcome = 'named' | 'conflict' | 'missing' | 'malformed' | 'no-route' | 'unknown';

interface Naming {
  readonly label: string;
  /** The tenant the request is about: A, B, or none of them. */
  readonly aim: 'A' | 'B' | null;
  readonly outcome: Outcome;
  /** `x` is the aimed tenant, `y` the other one of the pair. */
  build(x: Tenant, y: Tenant): { segment: string; header?: string; query?: string };
}

const TENANT_HEADER = 'X-Tenant-ID';

const aimed: readonly Omit<Naming, 'aim'>[] = [
  { label: 'path slug', outcome: 'named', build: (x) => ({ segment: x.slug }) },
  { label: 'path alias', outcome: 'named', build: (x) => ({ segment: x.alias }) },
  { label: 'path uuid', outcome: 'named', build: (x) => ({ segment: x.id }) },
  // One case rule for every form: ASCII letters fold; the header and query are also trimmed.
  { label: 'path slug, upper case', outcome: 'named', build: (x) => ({ segment: x.slug.toUpperCase() }) },
  {
    label: 'header alias, upper case, padded',
    outcome: 'named',
    build: (x) => ({ segment: 'tenant', header: ` ${x.alias.toUpperCase()} ` }),
  },
  { label: 'header slug', outcome: 'named', build: (x) => ({ segment: 'tenant', header: x.slug }) },
  { label: 'header alias', outcome: 'named', build: (x) => ({ segment: 'tenant', header: x.alias }) },
  { label: 'header uuid', outcome: 'named', build: (x) => ({ segment: 'tenant', header: x.id }) },
  { label: 'query slug', outcome: 'named', build: (x) => ({ segment: 'tenant', query: x.slug }) },
  {
    label: 'header wins over query',
    outcome: 'named',
    build: (x, y) => ({ segment: 'tenant', header: x.slug, query: y.slug }),
  },
  {
    label: 'path + agreeing header',
    outcome: 'named',
    build: (x) => ({ segment: x.slug, header: x.id }),
  },
  {
    label: 'path + conflicting header',
    outcome: 'conflict',
    build: (x, y) => ({ segment: x.slug, header: y.slug }),
  },
  {
    label: 'path + conflicting query',
    outcome: 'conflict',
    build: (x, y) => ({ segment: x.slug, query: y.id }),
  },
];

const NAMINGS: readonly Naming[] = [
  ...aimed.flatMap((n) => [
    { ...n, label: `${n.label} -> A`, aim: 'A' as const },
    { ...n, label: `${n.label} -> B`, aim: 'B' as const },
  ]),
  {
    label: 'selected form, nothing named',
    aim: null,
    outcome: 'missing',
    build: () => ({ segment: 'tenant' }),
  },
  { label: 'reserved word in path', aim: null, outcome: 'no-route', build: () => ({ segment: 'admin' }) },
  {
    label: 'malformed header',
    aim: null,
    outcome: 'malformed',
    build: () => ({ segment: 'tenant', header: 'Not_A_Slug!' }),
  },
  { label: 'unknown slug in path', aim: null, outcome: 'unknown', build: () => ({ segment: 'nosuch-org' }) },
  // A's own former alias: for A's key too, it names nobody, exactly like an unknown slug.
  {
    label: "A's removed alias in path",
    aim: null,
    outcome: 'unknown',
    build: (a) => ({ segment: a.removed }),
  },
  {
    label: '32 hex digits in path (a UUID without dashes)',
    aim: null,
    outcome: 'no-route',
    build: () => ({ segment: '6f1c2d3e4a5b4c6d8e7f0123456789ab' }),
  },
  {
    label: 'unknown uuid in header',
    aim: null,
    outcome: 'unknown',
    build: () => ({ segment: 'tenant', header: randomUUID() }),
  },
];

/* ---- Who calls ----------------------------------------------------------------------------- */

interface Credential {
  readonly label: string;
  /** The tenant whose live key this is: 'A', 'B', or null for anything that is not a live key. */
  readonly owner: 'A' | 'B' | null;
  /** The presented string, or null for none. */
  value(a: Tenant, b: Tenant, adminToken: string): string | null;
}

const CREDENTIALS: readonly Credential[] = [
  { label: 'admin token', owner: null, value: (_a, _b, admin) => admin },
  { label: 'key of A', owner: 'A', value: (a) => a.key },
  { label: 'key of B', owner: 'B', value: (_a, b) => b.key },
  { label: "A's revoked key", owner: null, value: (a) => a.revokedKey },
  { label: "A's expired key", owner: null, value: (a) => a.expiredKey },
  {
    label: "A's key, checksum broken",
    owner: null,
    value: (a) => `${a.key.slice(0, -1)}${a.key.endsWith('0') ? '1' : '0'}`,
  },
  {
    label: "A's key id, forged secret",
    owner: null,
    value: (a) => a.forgedKey,
  },
  { label: 'garbage', owner: null, value: () => 'not-a-key-at-all' },
  { label: 'none', owner: null, value: () => null },
];

/* ---- What is called ------------------------------------------------------------------------ */

interface Probe {
  readonly label: string;
  readonly operationId: string;
  readonly method: string;
  /** `/{tenant}/...` with `{id}` filled in for this caller and aim. */
  path(ctx: { caller: Tenant | undefined; aimed: Tenant | undefined; a: Tenant; b: Tenant }): string;
  readonly body?: unknown;
  /** The status when the caller's own tenant is admitted. */
  success(tenantId: string): number;
}

const trialsStarted = new Set<string>();

/** The probes of one operation; an operation without any fails the test (new routes join the matrix). */
function probesFor(op: { operationId: string; method: string; path: string }): Probe[] {
  const base = { operationId: op.operationId, method: op.method };
  const plain = (success: number | ((tenantId: string) => number), body?: unknown): Probe => ({
    ...base,
    label: op.operationId,
    path: () => op.path,
    ...(body === undefined ? {} : { body }),
    success: typeof success === 'number' ? () => success : success,
  });
  switch (op.operationId) {
    case 'getTenantProfile':
    case 'getTenantEntitlements':
    case 'listTenantAuditEvents':
    case 'exportTenantAuditEvents':
    case 'listTenantApiKeys':
    case 'getTenantSwagger':
      return [plain(200)];
    case 'requestTenantProduct':
      return [plain(202, { product: SHARED_PRODUCT })];
    case 'requestTenantTrial':
      // One trial per product per tenant, ever: the first admitted request starts it.
      return [
        plain(
          (tenantId) => {
            if (trialsStarted.has(tenantId)) return 409;
            trialsStarted.add(tenantId);
            return 201;
          },
          { product: SHARED_PRODUCT },
        ),
      ];
    case 'appendTenantAuditEvent':
      return [plain(201, { action: 'isolation.probe', target_name: 'probe' })];
    case 'appendTenantAuditBatch':
      return [
        plain(201, {
          events: [{ action: 'isolation.probe', target_name: 'probe' }, { action: 'isolation.probe2' }],
        }),
      ];
    case 'createTenantApiKey':
      return [plain(201, { name: 'probe', scopes: ['profile:read'] })];
    case 'revokeTenantApiKey':
    case 'rollTenantApiKey':
      return [
        {
          ...base,
          label: `${op.operationId} (random id)`,
          path: () => op.path.replace('{id}', randomUUID()),
          success: () => 404,
        },
        {
          // Aimed at B's data: B's live key. The caller's own tenant admitted, it is still 404.
          ...base,
          label: `${op.operationId} (other tenant's key id)`,
          path: ({ caller, a, b }) => op.path.replace('{id}', (caller === b ? a : b).victimKeyId),
          ...(op.method === 'POST' ? { body: { overlap_seconds: 0 } } : {}),
          success: () => 404,
        },
      ];
    case 'listTenantWebhooks':
      return [plain(200)];
    case 'createTenantWebhook':
      return [plain(201, { url: 'https://hooks.example.com/probe', events: ['invoice.paid'] })];
    case 'getTenantWebhook':
    case 'updateTenantWebhook':
    case 'deleteTenantWebhook':
    case 'rotateTenantWebhookSecret':
    case 'testTenantWebhook':
    case 'listTenantWebhookDeliveries': {
      const body = op.method === 'PATCH' ? { body: { description: 'taken over' } } : {};
      return [
        {
          ...base,
          label: `${op.operationId} (random id)`,
          path: () => op.path.replace('{id}', randomUUID()),
          ...body,
          success: () => 404,
        },
        {
          // Aimed at B's endpoint: the caller's own tenant admitted, it is still 404.
          ...base,
          label: `${op.operationId} (other tenant's endpoint)`,
          path: ({ caller, a, b }) => op.path.replace('{id}', (caller === b ? a : b).victimHookId),
          ...body,
          success: () => 404,
        },
      ];
    }
    case 'retryTenantWebhookDelivery':
      return [
        {
          ...base,
          label: `${op.operationId} (other tenant's delivery)`,
          path: ({ caller, a, b }) => {
            const victim = caller === b ? a : b;
            return op.path
              .replace('{id}', victim.victimHookId)
              .replace('{delivery_id}', victim.victimDeliveryId);
          },
          success: () => 404,
        },
      ];
    default:
      throw new Error(`no isolation probe for ${op.operationId}: add one to tenant-isolation.test.ts`);
  }
}

/* ---- The oracle ---------------------------------------------------------------------------- */

type Expected = { status: number; error?: string; exactBody?: string };

/**
 * The status rules, in `TenantAccess`'s order: live key (401), selection (400/404), the key's
 * own tenant (403 forbidden; 400 tenant_conflict when only some names are it: the pairs here
 * always hold the caller, so a conflicting naming always is), allowed tenants (403
 * tenant_not_allowed, asked of the caller's own tenant only), then the operation.
 * `allowed`: the tenant ids TENANT_REGISTRY_ALLOWED_TENANTS admits, undefined for all.
 */
function expectedOf(
  probe: Probe,
  naming: Naming,
  caller: Tenant | undefined,
  aimedAt: Tenant | undefined,
  allowed: ReadonlySet<string> | undefined,
): Expected {
  if (!caller) return { status: 401, error: 'unauthorized' };
  switch (naming.outcome) {
    case 'conflict':
      return { status: 400, error: 'tenant_conflict' };
    case 'missing':
      return { status: 400, error: 'tenant_required' };
    case 'malformed':
      return { status: 400, error: 'invalid_input' };
    case 'no-route':
      return { status: 404, exactBody: UNKNOWN_ROUTE_BODY };
    case 'unknown':
      return { status: 403, error: 'forbidden' };
    case 'named': {
      if (aimedAt !== caller) return { status: 403, error: 'forbidden' };
      if (allowed && !allowed.has(caller.id)) return { status: 403, error: 'tenant_not_allowed' };
      const status = probe.success(caller.id);
      return status === 409
        ? { status, error: 'trial_used' }
        : status === 404
          ? { status, error: 'not_found' }
          : { status };
    }
  }
}

/** What of `other` the text shows, if anything. */
function leakOf(other: Tenant, text: string): string | undefined {
  return other.substrings.find((s) => text.includes(s)) ?? other.tokens.find((t) => t.test(text))?.source;
}

/* ---- The matrix ---------------------------------------------------------------------------- */

interface Tally {
  attempts: number;
  bearer: number;
  apiKeyHeader: number;
  /** Own-tenant reads whose answer showed the tenant's own marker data: the detector sees data. */
  positives: number;
  readonly unexpected: string[];
  readonly leaks: string[];
  readonly statuses: Map<number, number>;
}

async function runMatrix(
  tally: Tally,
  all: readonly Tenant[],
  pairs: readonly (readonly [Tenant, Tenant])[],
  probes: readonly Probe[],
  credentials: readonly Credential[],
  allowed?: ReadonlySet<string>,
): Promise<void> {
  const phase = allowed ? 'allowed-tenants ' : '';
  for (const [p, [a, b]] of pairs.entries()) {
    for (const [i, probe] of probes.entries()) {
      for (const [j, naming] of NAMINGS.entries()) {
        for (const [k, credential] of credentials.entries()) {
          if (!EVERY_PAIR && (i + j + k) % pairs.length !== p) continue;
          const caller = credential.owner === 'A' ? a : credential.owner === 'B' ? b : undefined;
          const aimedAt = naming.aim === 'A' ? a : naming.aim === 'B' ? b : undefined;
          const { segment, header, query } = aimedAt
            ? naming.build(aimedAt, aimedAt === a ? b : a)
            : naming.build(a, b);
          const path =
            probe.path({ caller, aimed: aimedAt, a, b }).replace('{tenant}', encodeURIComponent(segment)) +
            (query === undefined ? '' : `?tenant_id=${encodeURIComponent(query)}`);
          const presented = credential.value(a, b, stack.token);
          const headers: Record<string, string> = header === undefined ? {} : { [TENANT_HEADER]: header };
          // Keys alternate between the two ways of sending them.
          const useBearer = tally.attempts % 2 === 0;
          if (presented !== null) {
            if (useBearer) tally.bearer++;
            else {
              tally.apiKeyHeader++;
              headers['X-Api-Key'] = presented;
            }
          }
          const expected = expectedOf(probe, naming, caller, aimedAt, allowed);
          const describe = `${phase}[${a.slug}/${b.slug}] ${probe.label} | ${naming.label} | ${credential.label} (${
            presented === null ? 'none' : useBearer ? 'Bearer' : 'X-Api-Key'
          }): ${probe.method} ${path}${header === undefined ? '' : ` ${TENANT_HEADER}: ${header}`}`;

          const logsBefore = stack.logs.lines.length;
          tally.attempts++;
          let res: TestResponse;
          try {
            res = await stack.request(probe.method, path, {
              token: presented !== null && useBearer ? presented : null,
              headers,
              ...(probe.body === undefined ? {} : { body: probe.body }),
            });
          } catch (error) {
            tally.unexpected.push(`${describe} -> threw ${(error as Error).message}`);
            continue;
          }
          tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1);
          const body = res.body as { error?: string } | undefined;
          if (
            res.status !== expected.status ||
            (expected.error !== undefined && body?.error !== expected.error) ||
            (expected.exactBody !== undefined && res.text !== expected.exactBody)
          ) {
            tally.unexpected.push(
              `${describe} -> expected ${expected.status}${expected.error ? ` ${expected.error}` : ''}, got ${res.status} ${res.text.slice(0, 300)}`,
            );
          }

          // Created by an admitted probe: the new key is the caller's from now on.
          if (probe.operationId === 'createTenantApiKey' && res.status === 201 && caller) {
            const created = res.body as { api_key: { id: string }; plaintext: string };
            caller.keyIds.add(created.api_key.id);
            caller.substrings.push(...keyMaterial(created.api_key.id, created.plaintext));
          }

          // Nothing of any tenant but the caller's own (all of them, for a credential that is no
          // live key), nor the admin token, in the body, a header or a log line of the request.
          const seen = [res.text, ...Object.values(res.headers), ...stack.logs.lines.slice(logsBefore)];
          for (const other of all) {
            if (other === caller) continue;
            for (const text of seen) {
              const hit = leakOf(other, text);
              if (hit)
                tally.leaks.push(`${describe} -> carries ${other.slug}'s ${hit}: ${text.slice(0, 300)}`);
            }
          }
          if (seen.some((t) => t.includes(stack.token)))
            tally.leaks.push(`${describe} -> carries the admin token`);

          if (caller && res.status === 200 && aimedAt === caller) {
            const own = {
              getTenantProfile: caller.marker,
              getTenantEntitlements: caller.product,
              listTenantAuditEvents: caller.marker,
              exportTenantAuditEvents: caller.marker,
              listTenantApiKeys: caller.victimKeyId,
            }[probe.operationId];
            if (own !== undefined) {
              if (res.text.includes(own)) tally.positives++;
              else
                tally.unexpected.push(
                  `${describe} -> its own data (${own}) is missing: ${res.text.slice(0, 300)}`,
                );
            }
          }
        }
      }
    }
  }
}

/** Writes stayed home: every victim key is live; every key and audit event a tenant key wrote is its tenant's. */
async function crossTenantWrites(all: readonly Tenant[]): Promise<string[]> {
  await app.apiKeys().settled();
  const out: string[] = [];
  for (const t of all) {
    const hook = await stack.request('GET', `/v1/webhooks/${t.victimHookId}`);
    if (hook.status !== 200 || hook.body.updated_at !== t.victimHookUpdatedAt)
      out.push(`${t.slug}'s webhook endpoint was changed or deleted (${hook.status})`);
    const keys = await ok(stack.request('GET', `/v1/api-keys?tenant_id=${t.id}&limit=200`), 200);
    const items = keys.body.items as {
      id: string;
      revoked_at: string | null;
      expires_at: string | null;
      created_by?: string;
    }[];
    const victim = items.find((k) => k.id === t.victimKeyId);
    if (victim?.revoked_at !== null) out.push(`${t.slug}'s victim key was revoked`);
    if (victim?.expires_at !== t.victimExpiresAt)
      out.push(`${t.slug}'s victim key's expiry moved to ${victim?.expires_at} (rolled)`);
    if (
      items.some(
        (k) => k.id !== t.victimKeyId && (k as { rolled_from?: string }).rolled_from === t.victimKeyId,
      )
    )
      out.push(`${t.slug}'s victim key has a successor (rolled)`);
    for (const k of items) {
      if (!t.keyIds.has(k.id)) out.push(`${t.slug} holds a key it never made: ${k.id}`);
      const by = k.created_by?.startsWith('api_key:') ? k.created_by.slice('api_key:'.length) : undefined;
      if (by !== undefined && !t.keyIds.has(by)) out.push(`${t.slug}'s key ${k.id} was made by ${by}`);
    }
    let cursor: string | undefined;
    do {
      const page = await ok(
        stack.request(
          'GET',
          `/v1/audit?tenant_id=${t.id}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ),
        200,
      );
      for (const e of page.body.items as {
        actor_type?: string;
        actor_id?: string;
        origin?: string;
        key_id?: string;
        id: number;
      }[]) {
        if (e.actor_type === 'api_key' && !t.keyIds.has(e.actor_id ?? ''))
          out.push(`${t.slug}'s audit event ${e.id} was written by ${e.actor_id}`);
        // The server's word on who wrote it: a tenant-plane write names one of this tenant's keys.
        if ((e.origin === 'tenant') !== (e.key_id !== undefined) || (e.key_id && !t.keyIds.has(e.key_id)))
          out.push(`${t.slug}'s audit event ${e.id} has origin ${e.origin} and key ${e.key_id}`);
      }
      cursor = page.body.next_cursor;
    } while (cursor);
  }
  return out;
}

test('isolation matrix: every tenant route x naming x credential x prefix-colliding pair', async () => {
  const tenants = await setUp();
  const all = [...tenants.values()];
  const get = (slug: string) => tenants.get(slug) as Tenant;
  const tenantOps = operations().filter((o) => o.plane === 'tenant');
  expect(tenantOps).toHaveLength(22);
  const probes = tenantOps.flatMap(probesFor);

  // The detector itself: prefixes are not names, names and aliases are.
  expect(leakOf(get('acme'), '{"slug":"acme-corp","alias":"acme-corporation"}')).toBeUndefined();
  expect(leakOf(get('acme-corp'), '/acme/profile acme-co')).toBeUndefined();
  expect(leakOf(get('a10'), 'a100 a1000 a10-')).toBeUndefined();
  expect(leakOf(get('a100'), 'a10 a10-x')).toBeUndefined();
  expect(leakOf(get('acme'), '/acme/profile')).toBeDefined();
  expect(leakOf(get('acme'), 'X-Tenant-ID: acme-co')).toBeDefined();
  expect(leakOf(get('a100'), '"a1000"')).toBeDefined();
  expect(leakOf(get('a10'), `tenant_id=${get('a10').id}`)).toBeDefined();

  const tally: Tally = {
    attempts: 0,
    bearer: 0,
    apiKeyHeader: 0,
    positives: 0,
    unexpected: [],
    leaks: [],
    statuses: new Map(),
  };
  const pairs = PAIRS.map(([x, y]) => [get(x), get(y)] as const);
  await runMatrix(tally, all, pairs, probes, CREDENTIALS);
  const main = tally.attempts;

  // Again with TENANT_REGISTRY_ALLOWED_TENANTS naming acme by its alias: acme-corp's key naming
  // its own tenant is 403 tenant_not_allowed; any other (or unknown) name is 403 forbidden first,
  // so the answer says nothing about tenants other than the caller's.
  stack.configure({ ...WEBHOOK_ROOM, TENANT_REGISTRY_ALLOWED_TENANTS: get('acme').alias }, { clock });
  await runMatrix(
    tally,
    all,
    pairs.slice(0, 2),
    probes,
    CREDENTIALS.filter((c) => c.owner !== null),
    new Set([get('acme').id]),
  );
  stack.configure(WEBHOOK_ROOM, { clock });
  const writes = await crossTenantWrites(all);

  stack.logs.stop();
  const counts = [...tally.statuses].sort(([x], [y]) => x - y);
  process.stderr.write(
    `isolation: ${tally.attempts} attempts, ${tally.unexpected.length} unexpected statuses, ${tally.leaks.length} leaks, ` +
      `${writes.length} cross-tenant writes (routes ${tenantOps.length} as ${probes.length} probes x names ` +
      `${NAMINGS.length} x credentials ${CREDENTIALS.length} x ${EVERY_PAIR ? `pairs ${PAIRS.length}` : `one of ${PAIRS.length} pairs in turn`} = ${main}, plus ` +
      `${tally.attempts - main} with allowed tenants; ${tally.bearer} keys as Bearer, ${tally.apiKeyHeader} as ` +
      `X-Api-Key; statuses ${counts.map(([s, n]) => `${s}:${n}`).join(' ')}; ${tally.positives} own-data checks)\n`,
  );
  for (const line of [...tally.unexpected.slice(0, 25), ...tally.leaks.slice(0, 25), ...writes.slice(0, 25)])
    process.stderr.write(`  ${line}\n`);
  stack.logs.start();

  expect(main).toBe(probes.length * NAMINGS.length * CREDENTIALS.length * (EVERY_PAIR ? PAIRS.length : 1));
  expect(main).toBeGreaterThanOrEqual(2000);
  expect(tally.positives).toBeGreaterThan(0);
  expect(tally.unexpected).toEqual([]);
  expect(tally.leaks).toEqual([]);
  expect(writes).toEqual([]);
}, 1_500_000);
