/** Slug rules: the one place that says what a tenant slug may be. */

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

/** Words the router owns: a tenant-plane path segment that could never name a tenant. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'tenant',
  'tenants',
  // Stryker disable next-line StringLiteral: 2 characters, which SLUG_PATTERN refuses anyway; listed as the router's word
  'v1',
  // Stryker disable next-line StringLiteral: 2 characters, which SLUG_PATTERN refuses anyway; listed as the router's word
  'v2',
  'healthz',
  'readyz',
  'livez',
  'version',
  'swagger',
  'openapi',
  'internal',
  'api',
  'docs',
  'admin',
  'health',
  'status',
  'metrics',
  'static',
  'assets',
  'well-known',
]);

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A lowercase UUID (a tenant's or a key's id): never a slug, so the two cannot be confused. */
export function isUuid(value: string): boolean {
  return UUID_SHAPE.test(value);
}

export type SlugProblem = 'format' | 'reserved';

/** Why `value` cannot be a slug, or undefined when it can. */
export function slugProblem(value: string): SlugProblem | undefined {
  // A UUID-shaped slug would be ambiguous wherever a tenant is named by slug or UUID.
  if (!SLUG_PATTERN.test(value) || isUuid(value)) return 'format';
  if (RESERVED_SLUGS.has(value)) return 'reserved';
  return undefined;
}

export function isSlug(value: string): boolean {
  return slugProblem(value) === undefined;
}

export function describeSlugProblem(value: string, problem: SlugProblem): string {
  return problem === 'reserved'
    ? `'${value}' is a reserved word and cannot be a slug`
    : 'a slug is 3-40 characters of a-z, 0-9 and "-", starting and ending with a letter or digit, and not shaped like a UUID';
}
