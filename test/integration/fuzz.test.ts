import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { type OperationId, routes } from '../../shared/contract/routes';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { assertResponseMatchesSpec, ContractViolation } from '../support/contract';
import {
  badRequests,
  type FuzzCase,
  fuzzContext,
  type OperationModel,
  operationModels,
} from '../support/fuzz';
import { startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * Every operation in openapi.yaml against FUZZ_RUNS (default 500) generated bad requests, sent
 * with the admin token. Each answer must be below 500; an error must be exactly
 * `{error, message, request_id?}` with no stack trace; and the answer must match the spec
 * (unless the wire input itself is malformed and the spec documents no status for the answer).
 *
 * Everything found is reported at once per operation, grouped by problem, each group with its
 * smallest request as a reproduction; a 5xx is grouped by the error the server logged.
 * FUZZ_SEED=<n> draws other cases (the default is fixed, so runs are repeatable);
 * FUZZ_ONLY=<operationId>[,<operationId>...] narrows the run.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_101);
const ONLY = process.env.FUZZ_ONLY?.split(',');
/** Cases per batch; each batch gets fresh tenants to hit. */
const BATCH = 25;

const OPERATIONS = operationModels();
const STATUSES = new Map(OPERATIONS.map((op) => [op.operationId, op.statuses]));
const ERROR_KEYS: ReadonlySet<string> = new Set(['error', 'message', 'request_id']);
/** What leaks from a thrown error: V8 stack frames, source locations, module paths. */
const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\(|\.[cm]?[jt]s:\d+:\d+|node_modules|file:\/\//;

let stack: TestStack;
const summary: string[] = [];

beforeAll(async () => {
  stack = await startStack();
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
          res = await stack.request(c.method, c.url, {
            headers: { ...c.headers },
            body: c.body,
            unchecked: true,
          });
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
    },
    120_000,
  );
});

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

/** A sampling seed per operation and batch, from FUZZ_SEED. */
function seedOf(operationId: string, batch: number): number {
  return createHash('sha256').update(`${SEED}/${operationId}/${batch}`).digest().readInt32BE(0);
}

/**
 * RUNS cases for `op`, in batches against fresh tenants: earlier cases retire, freeze and
 * activate the tenants they hit, and later ones should still meet live records.
 */
async function* fuzzCases(op: OperationModel): AsyncGenerator<FuzzCase> {
  for (let batch = 0; batch * BATCH < RUNS; batch++) {
    const ctx = fuzzContext(await freshTenants());
    const numRuns = Math.min(BATCH, RUNS - batch * BATCH);
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
    assertResponseMatchesSpec(route, res.status, res.body);
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
          : [`  body (${Buffer.byteLength(c.body)} bytes): ${clip(JSON.stringify(c.body), 1200)}`]),
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
    op.operationId.padEnd(16),
    `${op.method} ${op.path}`.padEnd(40),
    `${RUNS} runs`,
    `${(ms / 1000).toFixed(1).padStart(5)} s`,
    statuses.padEnd(48),
    failures === 0 ? 'ok' : `${failures} kind(s) of failure`,
  ].join('  ');
}
