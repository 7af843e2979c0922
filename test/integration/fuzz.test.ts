import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type OperationId, routes } from '../../shared/contract/routes';
import { SCOPES } from '../../shared/domain/api-key';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { assertResponseMatchesSpec, ContractViolation } from '../support/contract';
import { byDepth } from '../support/depth';
import {
  badRequests,
  type FuzzCase,
  fuzzContext,
  type OperationModel,
  operationModels,
  type TenantTarget,
} from '../support/fuzz';
import { startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * Every operation in openapi.yaml against FUZZ_RUNS (default 150; 500 under TEST_DEPTH=deep,
 * test/support/depth.ts) generated bad requests, sent
 * with the admin token; tenant-plane operations with a live API key (every scope) of the tenant
 * the request names, so that cases get past admission (at most a fifth may end in a 401), and
 * with bad ways of naming the tenant on top. Each answer must be below 500; an error must be exactly
 * `{error, message, request_id?}` with no stack trace; and the answer must match the spec
 * (unless the wire input itself is malformed and the spec documents no status for the answer).
 *
 * Everything found is reported at once per operation, grouped by problem, each group with its
 * smallest request as a reproduction; a 5xx is grouped by the error the server logged.
 * FUZZ_SEED=<n> draws other cases (the default is fixed, so runs are repeatable);
 * FUZZ_ONLY=<operationId>[,<operationId>...] narrows the run.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? byDepth(150, 500));
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_101);
const ONLY = process.env.FUZZ_ONLY?.split(',');
/** Cases per batch; each batch gets fresh tenants to hit. */
const BATCH = 25;
/** The tenant plane's cases never retire or freeze their tenant: fewer, larger batches. */
const TENANT_BATCH = 100;

const OPERATIONS = operationModels();
const STATUSES = new Map(OPERATIONS.map((op) => [op.operationId, op.statuses]));
const ERROR_KEYS: ReadonlySet<string> = new Set(['error', 'message', 'request_id']);
const ALL_SCOPES = [...SCOPES];
/** Catalog entries for the tenant plane's product requests and trials to find. */
const PRODUCTS = [
  { key: 'fz-trial', supports_trial: true, plans_required: [] },
  { key: 'fz-no-trial', supports_trial: false, plans_required: [] },
  { key: 'fz-enterprise', supports_trial: true, plans_required: ['enterprise'] },
];
/** A request that takes longer than this is a finding (a hang), not a stalled run. */
const REQUEST_TIMEOUT_MS = 15_000;
/** A tenant-plane operation may not mostly bounce off the key check. */
const MAX_UNAUTHORIZED_SHARE = 0.2;
/** What leaks from a thrown error: V8 stack frames, source locations, module paths. */
const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\(|\.[cm]?[jt]s:\d+:\d+|node_modules|file:\/\//;

let stack: TestStack;
const summary: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  for (const { key, ...entry } of PRODUCTS) {
    const res = await stack.request('PUT', `/v1/catalog/${key}`, {
      body: { name: key, description: `fuzz product ${key}`, ...entry },
    });
    expect(res.status).toBeLessThan(300);
  }
});

afterAll(async () => {
  await stack?.close(); // stops the log capture too, so the summary reaches the terminal
  console.log([`fuzz: ${RUNS} requests per operation, FUZZ_SEED=${SEED}`, ...summary].join('\n'));
});

describe(`fuzz: every operation in openapi.yaml, ${RUNS} bad requests each`, () => {
  const selected = OPERATIONS.filter((op) => !ONLY || ONLY.includes(op.operationId));
  test.each(selected.map((op) => [op.operationId, op] as const))(
    '%s',
    async (_, op) => {
      const histogram = new Map<number, number>();
      const findings = new Findings();
      const started = performance.now();
      for await (const c of fuzzCases(op)) {
        stack.logs.clear();
        let res: TestResponse;
        try {
          res = await answeredWithin(
            REQUEST_TIMEOUT_MS,
            stack.request(c.method, c.url, {
              headers: { ...c.headers },
              body: c.body,
              unchecked: true,
              // The tenant plane's cases carry their own credential (or none, on purpose).
              ...(op.plane === 'tenant' ? { token: null } : {}),
            }),
          );
        } catch (error) {
          const { name, message } = error as Error;
          findings.add({ text: `the request threw ${name}: ${message}`, byCause: true }, c);
          continue;
        }
        histogram.set(res.status, (histogram.get(res.status) ?? 0) + 1);
        for (const problem of problemsOf(c, res)) findings.add(problem, c, res);
      }
      summary.push(summaryLine(op, performance.now() - started, histogram, findings.size));
      if (findings.size > 0) throw new Error(findings.report(op));
      if (op.plane === 'tenant') {
        const unauthorized = (histogram.get(401) ?? 0) / RUNS;
        if (unauthorized > MAX_UNAUTHORIZED_SHARE)
          throw new Error(
            `${op.operationId}: ${(unauthorized * 100).toFixed(0)}% of the cases got 401: the key does not get them past admission`,
          );
      }
    },
    120_000,
  );
});

class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError';
}

/** `answer`, or a NoAnswerError after `ms` (the request itself is left to finish on its own). */
async function answeredWithin<T>(ms: number, answer: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/** Three fresh tenants (two customers, a demo) and an extra alias: ids and slugs to hit. */
async function freshTenants(): Promise<Record<string, string[]>> {
  const ids: string[] = [];
  const slugs: string[] = [];
  for (const extra of [{ settings: { locale: 'de' } }, { kind: 'demo' }, {}]) {
    const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('fz'), extra) });
    expect(res.status).toBe(201);
    ids.push(res.body.tenant.id);
    slugs.push(res.body.tenant.slug);
  }
  const alias = uniqueSlug('fz-alias');
  const added = await stack.request('POST', `/v1/tenants/${ids[0]}/aliases`, { body: { slug: alias } });
  expect(added.status).toBe(201);
  return { id: ids, slug: [...slugs, alias] };
}

/** A key of `tenantId` with `scopes` (every scope by default): its id and plaintext. */
async function createKey(tenantId: string, scopes = ALL_SCOPES): Promise<{ id: string; plaintext: string }> {
  const res = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: `fuzz ${randomUUID().slice(0, 8)}`, scopes },
  });
  expect(res.status).toBe(201);
  return { id: res.body.api_key.id, plaintext: res.body.plaintext };
}

/**
 * For a tenant-plane operation: a fresh tenant (with an alias) whose all-scopes key the cases
 * carry, another tenant to name instead, and, where a key id is in the path, keys to revoke
 * (two of the tenant's, one of the other tenant's).
 */
async function freshTenantTarget(op: OperationModel): Promise<{
  known: Record<string, string[]>;
  tenant: TenantTarget;
}> {
  const created: { id: string; slug: string }[] = [];
  for (const base of ['fz-tp', 'fz-other']) {
    const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug(base)) });
    expect(res.status).toBe(201);
    created.push(res.body.tenant);
  }
  const [target, other] = created as [{ id: string; slug: string }, { id: string; slug: string }];
  const alias = uniqueSlug('fz-tp-alias');
  const added = await stack.request('POST', `/v1/tenants/${target.id}/aliases`, { body: { slug: alias } });
  expect(added.status).toBe(201);
  const key = await createKey(target.id);
  const ids: string[] = [];
  if (op.parameters.some((p) => p.in === 'path' && p.name === 'id')) {
    for (const owner of [target.id, target.id, other.id])
      ids.push((await createKey(owner, ['profile:read'])).id);
  }
  const names = [target.slug, alias, target.id];
  return {
    known: { id: ids, product: PRODUCTS.map((p) => p.key), tenant: names },
    tenant: {
      names,
      key: key.plaintext,
      others: [other.slug, other.id, uniqueSlug('fz-nobody'), randomUUID()],
    },
  };
}

/** A sampling seed per operation and batch, from FUZZ_SEED. */
function seedOf(operationId: string, batch: number): number {
  return createHash('sha256').update(`${SEED}/${operationId}/${batch}`).digest().readInt32BE(0);
}

/**
 * RUNS cases for `op`, in batches against fresh tenants: earlier cases retire, freeze and
 * activate the tenants they hit, and later ones should still meet live records.
 */
async function* fuzzCases(op: OperationModel): AsyncGenerator<FuzzCase> {
  const size = op.plane === 'tenant' ? TENANT_BATCH : BATCH;
  for (let batch = 0; batch * size < RUNS; batch++) {
    const ctx =
      op.plane === 'tenant'
        ? await freshTenantTarget(op).then(({ known, tenant }) => fuzzContext(known, { tenant }))
        : fuzzContext(await freshTenants());
    const numRuns = Math.min(size, RUNS - batch * size);
    yield* fc.sample(badRequests(op, ctx), { numRuns, seed: seedOf(op.operationId, batch) });
  }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

interface Problem {
  readonly text: string;
  /** A server failure is grouped by its cause; anything else also by what the request broke. */
  readonly byCause: boolean;
}

function problemsOf(c: FuzzCase, res: TestResponse): Problem[] {
  if (res.status >= 500) return [{ text: `status ${res.status}, logged ${loggedCause()}`, byCause: true }];
  const problems = [
    res.status >= 400 ? errorShapeProblem(res.body) : undefined,
    STACK_TRACE.test(res.text) ? 'stack trace in the response' : undefined,
    contractProblem(c, res),
  ];
  return problems.filter((p) => p !== undefined).map((text) => ({ text, byCause: false }));
}

function errorShapeProblem(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return `error body is not an object: ${String(JSON.stringify(body)).slice(0, 80)}`;
  const record = body as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length > 0) return `error body has other keys: ${extra.join(', ')}`;
  if (typeof record.error !== 'string' || record.error === '') return 'error body without an error code';
  if (typeof record.message !== 'string') return 'error body without a message';
  if (record.request_id !== undefined && typeof record.request_id !== 'string')
    return 'error body with a non-string request_id';
  return undefined;
}

/**
 * The check `stack.request` runs by default, run here on the unchecked response so that a
 * violation is recorded with its response instead of thrown. A malformed wire input is only
 * held to the spec when the spec documents the status it got.
 */
function contractProblem(c: FuzzCase, res: TestResponse): string | undefined {
  const route = res.operationId ? routes[res.operationId as OperationId] : undefined;
  const documented = res.operationId
    ? (STATUSES.get(res.operationId) ?? []).includes(res.status)
    : res.status === 404;
  if (c.malformedWire && !documented) return undefined;
  try {
    assertResponseMatchesSpec(route, res.status, res.body, { method: c.method, headers: res.headers });
    return undefined;
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    return `contract: ${error.message.split('\n')[0]}`;
  }
}

/** Why the server failed, from the error it logged (the caller only sees `internal`). */
function loggedCause(): string {
  const logged = stack.logs.events('request.failed')[0]?.error as
    | { name?: string; message?: string }
    | undefined;
  if (!logged) return 'nothing';
  // Numbers out, so that one cause is one group however many values trip it.
  const message = String(logged.message)
    .split('\n')[0]
    ?.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N');
  return `${logged.name}: ${message?.slice(0, 160)}`;
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

interface Finding {
  readonly problem: string;
  readonly where: string;
  count: number;
  example: FuzzCase;
  response?: TestResponse;
}

/** Text as a JSON string; bytes that are not UTF-8 as text with each bad byte shown as \xNN. */
const bodyPreview = (body: string | Uint8Array) =>
  typeof body === 'string'
    ? JSON.stringify(body)
    : [...Buffer.from(body)]
        .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16)}`))
        .join('');
const sizeOf = (c: FuzzCase) => c.url.length + (c.body?.length ?? 0) + JSON.stringify(c.headers).length;
const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;

/** Problems grouped by what went wrong (and where the request was broken), smallest example kept. */
class Findings {
  private readonly groups = new Map<string, Finding>();

  get size(): number {
    return this.groups.size;
  }

  add(problem: Problem, example: FuzzCase, response?: TestResponse): void {
    const where = problem.byCause ? 'any part' : (example.label.split(':')[0] ?? example.label);
    const key = `${problem.text}\u0000${where}`;
    const found = this.groups.get(key);
    if (!found) this.groups.set(key, { problem: problem.text, where, count: 1, example, response });
    else {
      found.count += 1;
      if (sizeOf(example) < sizeOf(found.example)) Object.assign(found, { example, response });
    }
  }

  report(op: OperationModel): string {
    const lines = [`${op.operationId}: ${this.size} kind(s) of failure (FUZZ_SEED=${SEED})`];
    for (const { problem, where, count, example: c, response } of this.groups.values()) {
      lines.push(
        `\n- ${problem} <- ${where} (${count}x; smallest: ${c.label})`,
        `  ${c.method} ${clip(c.url, 200)}`,
        `  headers: ${clip(JSON.stringify(c.headers), 200)}`,
        ...(c.body === undefined
          ? []
          : [`  body (${Buffer.byteLength(c.body)} bytes): ${clip(bodyPreview(c.body), 1200)}`]),
        response ? `  -> ${response.status} ${clip(response.text, 300)}` : '  -> no response',
      );
    }
    return lines.join('\n');
  }
}

function summaryLine(op: OperationModel, ms: number, histogram: Map<number, number>, failures: number) {
  const statuses = [...histogram.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}:${n}`)
    .join(' ');
  return [
    op.operationId.padEnd(22),
    `${op.method} ${op.path}`.padEnd(40),
    `${RUNS} runs`,
    `${(ms / 1000).toFixed(1).padStart(5)} s`,
    statuses.padEnd(48),
    failures === 0 ? 'ok' : `${failures} kind(s) of failure`,
  ].join('  ');
}
