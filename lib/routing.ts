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

/** An openapi.yaml path as an ALB path pattern: each `{param}` segment becomes `*`. */
export function albPathPattern(path: string): string {
  return path.replace(/\{[^}]+\}/g, '*');
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
 * ALB limits (Elastic Load Balancing, "Listener rules"): at most 3 match values per condition
 * and 5 per rule. A restricted rule spends one on the path and one on the method, leaving 3
 * source-ip values; a longer allowlist is split across several rules per operation.
 */
export const ALB_MAX_VALUES_PER_CONDITION = 3;
export const ALB_MAX_VALUES_PER_RULE = 5;
/** The default quota of rules per load balancer (default rule not counted). */
export const ALB_MAX_RULES = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
