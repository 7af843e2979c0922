/** The Lambda proxy response, for API Gateway and ALB alike. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
  statusDescription?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/**
 * What an unknown route answers, byte for byte; a switched-off API answers exactly the same,
 * so nobody can tell a disabled deployment from a path that does not exist.
 */
export const UNKNOWN_ROUTE_BODY = '{"error":"not_found","message":"no such route"}';

export function unknownRoute(): HttpResponse {
  return { statusCode: 404, headers: { ...JSON_HEADERS }, body: UNKNOWN_ROUTE_BODY };
}

/** A handler's answer with headers, for when the body alone is not enough. */
export interface Reply<T> {
  readonly kind: 'reply';
  readonly body: T;
  readonly status?: number;
  readonly headers: Record<string, string>;
}

export function reply<T>(
  body: T,
  options: { status?: number; etag?: number; headers?: Record<string, string> } = {},
): Reply<T> {
  return {
    kind: 'reply',
    body,
    ...(options.status === undefined ? {} : { status: options.status }),
    headers: { ...options.headers, ...(options.etag === undefined ? {} : { etag: etagOf(options.etag) }) },
  };
}

export function etagOf(version: number): string {
  return `"v${version}"`;
}

/**
 * The version an If-Match header names: undefined without a precondition (no header, or `*`
 * on a resource that exists), NaN for a tag we never issued. If-Match compares strong tags,
 * so a weak tag (`W/"v1"`) never matches.
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^"v([1-9]\d{0,15})"$/.exec(header.trim());
  return m?.[1] ? Number(m[1]) : Number.NaN;
}

/** The caller's If-Match as a service precondition; an ETag we never issued is a 412. */
export function precondition(request: { headers: Readonly<Record<string, string>> }): {
  expectedVersion?: number;
} {
  const version = versionFromIfMatch(request.headers['if-match']);
  if (version === undefined) return {};
  return { expectedVersion: Number.isNaN(version) ? 0 : version };
}
