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

/**
 * Read as a UUID by common parsers: 32 hex digits, dashes anywhere or nowhere
 * (`0123456789abcdef0123456789abcdef` is a UUID to most libraries that take one).
 */
function looksLikeUuid(value: string): boolean {
  const digits = value.replaceAll('-', '');
  return digits.length === 32 && /^[0-9a-f]+$/.test(digits);
}

export type SlugProblem = 'format' | 'reserved' | 'uuid';

/** Why `value` cannot be a slug, or undefined when it can. */
export function slugProblem(value: string): SlugProblem | undefined {
  if (!SLUG_PATTERN.test(value)) return 'format';
  // A UUID-shaped slug would be ambiguous wherever a tenant is named by slug or UUID.
  if (looksLikeUuid(value)) return 'uuid';
  if (RESERVED_SLUGS.has(value)) return 'reserved';
  return undefined;
}

export function isSlug(value: string): boolean {
  return slugProblem(value) === undefined;
}

export function describeSlugProblem(value: string, problem: SlugProblem): string {
  switch (problem) {
    case 'reserved':
      return `'${value}' is a reserved word and cannot be a slug`;
    case 'uuid':
      return `'${value}' is shaped like a UUID (32 hex digits) and cannot be a slug`;
    case 'format':
      return 'a slug is 3-40 characters of a-z, 0-9 and "-", starting and ending with a letter or digit';
  }
}
