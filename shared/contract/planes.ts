/**
 * Which plane a path belongs to decides its credential and its network exposure (see
 * docs/api.md). Derived from the path alone, so the spec, the stack and the code cannot disagree.
 */
export type Plane = 'public' | 'operator' | 'service' | 'tenant';

export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export function planeOf(path: string): Plane {
  if (PUBLIC_PATHS.has(path)) return 'public';
  if (path.startsWith('/v1/internal/')) return 'service';
  if (path.startsWith('/v1/')) return 'operator';
  return 'tenant';
}

/** `createTenant` -> `create-tenant`: the operation's folder under functions/. */
export function kebab(operationId: string): string {
  return operationId.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
