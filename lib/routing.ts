import type { Operation } from '../shared/contract/spec';

/**
 * Path prefixes of the allowlisted planes: operator (`/v1/...`) and service (`/v1/internal/...`,
 * inside the first). test/infra checks that a path is under one of these exactly when
 * `planeOf()` puts it on the operator or service plane.
 */
export const RESTRICTED_PLANE_PREFIXES: readonly string[] = Object.freeze(['/v1/']);

export function isRestricted(op: Pick<Operation, 'plane'>): boolean {
  return op.plane === 'operator' || op.plane === 'service';
}

/**
 * Operations whose answer may outgrow a buffered Lambda response (6 MB; an ALB takes 1 MB from a
 * Lambda target): their functions stream (shared/http/streaming.ts) and API Gateway REST passes
 * the stream on (integration response transfer mode STREAM). An ALB cannot stream a Lambda
 * target's response, so in ALB mode these routes are not routed: they answer the unknown-route
 * 404 (docs/api.md, "Export").
 */
export const STREAMED_OPERATIONS: ReadonlySet<string> = new Set([
  'exportAuditEvents',
  'exportTenantAuditEvents',
]);

export function isStreamed(op: Pick<Operation, 'operationId'>): boolean {
  return STREAMED_OPERATIONS.has(op.operationId);
}

/** The operations an ALB routes: all but the streamed ones. */
export function albOperations<T extends Pick<Operation, 'operationId'>>(ops: readonly T[]): T[] {
  return ops.filter((op) => !isStreamed(op));
}

/** An openapi.yaml path as an ALB path pattern: each `{param}` segment becomes `*`. */
export function albPathPattern(path: string): string {
  return path.replace(/\{[^}]+\}/g, '*');
}

/**
 * The operation of each path whose function answers `OPTIONS` for that path (the endpoint layer
 * answers 204 with an `Allow` built from the route table in any function of the path): the one
 * with the fewest methods of its own to match, so an ALB rule that gains `OPTIONS` keeps the most
 * room for source ranges; on a tie the first in openapi.yaml.
 */
export function optionsOperations(ops: readonly Operation[]): ReadonlyMap<string, Operation> {
  const byPath = new Map<string, Operation>();
  for (const op of ops) {
    const seen = byPath.get(op.path);
    if (!seen || ownMethods(op).length < ownMethods(seen).length) byPath.set(op.path, op);
  }
  return byPath;
}

/** An operation's method, and HEAD with GET (the endpoint layer answers HEAD in the GET function). */
function ownMethods(op: Operation): string[] {
  return op.method === 'GET' ? ['GET', 'HEAD'] : [op.method];
}

/**
 * The HTTP methods whose requests reach an operation's function in both ingress modes: its own,
 * `HEAD` with `GET`, and `OPTIONS` where `optionsOperations` picks it for its path.
 */
export function routedMethods(ops: readonly Operation[]): ReadonlyMap<string, readonly string[]> {
  const options = optionsOperations(ops);
  return new Map(
    ops.map((op) => [
      op.operationId,
      [...ownMethods(op), ...(options.get(op.path)?.operationId === op.operationId ? ['OPTIONS'] : [])],
    ]),
  );
}

/**
 * ALB rules in evaluation order. An ALB `*` also matches `/`, so `/v1/tenants/*` would swallow
 * `/v1/tenants/x/aliases`: more segments first, then literal segments before parameters at the
 * first place two paths differ. Each handler also matches its own template and answers the
 * unknown-route 404 for anything else, so a near miss can never reach the wrong operation's logic.
 */
export function albRuleOrder(ops: readonly Operation[]): Operation[] {
  return [...ops].sort((a, b) => {
    const sa = a.path.split('/');
    const sb = b.path.split('/');
    if (sa.length !== sb.length) return sb.length - sa.length;
    for (let i = 0; i < sa.length; i++) {
      const pa = sa[i]?.startsWith('{') ?? false;
      const pb = sb[i]?.startsWith('{') ?? false;
      if (pa !== pb) return pa ? 1 : -1;
    }
    return a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path);
  });
}

/**
 * ALB limits (Elastic Load Balancing, "Condition types for listener rules"): at most 3 match
 * evaluations per condition and 5 per rule. A restricted rule spends one on the path and one to
 * three on the methods (`GET` + `HEAD`, `OPTIONS`), leaving the rest, at most 3, for source-ip
 * values; a longer allowlist is split across several rules per operation.
 */
export const ALB_MAX_VALUES_PER_CONDITION = 3;
export const ALB_MAX_VALUES_PER_RULE = 5;
/** The default quota of rules per load balancer (default rule not counted); adjustable by AWS. */
export const ALB_MAX_RULES = 100;

/** One listener rule: forward to an operation's function, or answer the unknown-route 404. */
export interface AlbRule {
  /** The operation whose function the rule forwards to; undefined: the fixed unknown-route 404. */
  readonly operationId?: string;
  readonly pathPatterns: readonly string[];
  /** @default any method */
  readonly methods?: readonly string[];
  /** @default any source */
  readonly sourceIps?: readonly string[];
}

/**
 * Every listener rule of the ALB ingress, in priority order:
 * 1. the operator and service operations, each once per group of allowlisted ranges (no
 *    allowlist: no rule, the planes are closed);
 * 2. `/v1/*` from anywhere else: the unknown-route 404, so an outsider's request to an operator
 *    path never falls through to a tenant rule (`/*\/catalog/request` matches
 *    `/v1/catalog/request`) and gets a tenant function's 401 instead;
 * 3. the tenant plane and the public probes, from any source.
 * Shared by the ALB construct and the context parser (which refuses a plan over the quota before
 * anything is bundled).
 */
export function albRules(ops: readonly Operation[], allowedCidrs: readonly string[]): AlbRule[] {
  const methods = routedMethods(ops);
  const rules: AlbRule[] = [];
  const restricted = albRuleOrder(ops.filter(isRestricted));
  for (const op of restricted) {
    const own = methods.get(op.operationId) ?? [op.method];
    const room = Math.min(ALB_MAX_VALUES_PER_CONDITION, ALB_MAX_VALUES_PER_RULE - 1 - own.length);
    for (const sourceIps of chunk(allowedCidrs, room)) {
      rules.push({
        operationId: op.operationId,
        pathPatterns: [albPathPattern(op.path)],
        methods: own,
        sourceIps,
      });
    }
  }
  if (restricted.length > 0) {
    rules.push({ pathPatterns: RESTRICTED_PLANE_PREFIXES.map((p) => `${p}*`) });
  }
  for (const op of albRuleOrder(ops.filter((o) => !isRestricted(o)))) {
    rules.push({
      operationId: op.operationId,
      pathPatterns: [albPathPattern(op.path)],
      methods: methods.get(op.operationId) ?? [op.method],
    });
  }
  for (const rule of rules) {
    const counts = [rule.pathPatterns.length, rule.methods?.length ?? 0, rule.sourceIps?.length ?? 0];
    if (
      counts.some((n) => n > ALB_MAX_VALUES_PER_CONDITION) ||
      counts.reduce((a, b) => a + b, 0) > ALB_MAX_VALUES_PER_RULE
    ) {
      throw new Error(
        `ALB rule for ${rule.operationId ?? rule.pathPatterns.join()} exceeds the ALB's match limits`,
      );
    }
  }
  return rules;
}

/** Refuses a rule plan over the load balancer's rule quota, saying what to change. */
export function assertAlbRuleQuota(ruleCount: number, maxRules: number, rangeCount: number): void {
  if (ruleCount <= maxRules) return;
  throw new AlbRuleQuotaError(
    `the ALB ingress needs ${ruleCount} listener rules for ${rangeCount} allowlisted ranges, over the quota of ${maxRules} rules per load balancer: shorten allowedCidrs (merge ranges: every operator or service operation takes one rule per 1-3 ranges), or raise the quota with AWS (Service Quotas, "Rules per Application Load Balancer") and pass -c albMaxRules=<new quota>`,
  );
}

export class AlbRuleQuotaError extends Error {
  override name = 'AlbRuleQuotaError';
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
