import { ValidationError } from '../domain/errors';
import type { HttpEvent } from './request';

/** The Lambda proxy response, for API Gateway and ALB alike. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
  statusDescription?: string;
  /**
   * A body written as it is produced (an export), instead of `body`: the local server writes it
   * chunk by chunk, and in AWS the function streams it (shared/http/streaming.ts). Lazy: nothing
   * is read until someone iterates it, so a HEAD, which drops it, costs no reads.
   */
  stream?: AsyncIterable<string>;
}

/** The same, for an ALB target group with multi-value headers on (it requires this form). */
export interface MultiValueHttpResponse {
  statusCode: number;
  multiValueHeaders: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export type LambdaHttpResponse = HttpResponse | MultiValueHttpResponse;

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/**
 * A JSON response. It states its `content-length`, so that a HEAD (the GET without its body)
 * can tell the size of what a GET would send; 204 carries none (RFC 9110 forbids it).
 */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    statusCode,
    headers: {
      ...JSON_HEADERS,
      ...headers,
      ...(statusCode === 204 ? {} : { 'content-length': String(Buffer.byteLength(text, 'utf8')) }),
    },
    body: text,
  };
}

/** `OPTIONS` on a known path: no body, the path's methods in `Allow`. */
export function allowed(allow: string): HttpResponse {
  return { statusCode: 204, headers: { allow }, body: '' };
}

/** A HEAD answer: the GET's status and headers (its `content-length` included), no body. */
export function withoutBody(response: HttpResponse): HttpResponse {
  const { stream: _dropped, ...rest } = response;
  return { ...rest, body: '' };
}

/**
 * The response in the form the event's ingress reads: an ALB with multi-value headers (its
 * event carries `multiValueHeaders` and no `headers`) requires `multiValueHeaders` in the
 * response too; everyone else reads `headers`. ALB wants `isBase64Encoded` stated.
 */
export function forIngress(event: HttpEvent, response: HttpResponse): LambdaHttpResponse {
  if (!('elb' in event.requestContext)) return response;
  const { headers, ...rest } = response;
  const isBase64Encoded = response.isBase64Encoded ?? false;
  if (event.multiValueHeaders === undefined || event.headers !== undefined) {
    return { ...rest, headers, isBase64Encoded };
  }
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value];
  return { ...rest, multiValueHeaders, isBase64Encoded };
}

/**
 * What an unknown route answers, byte for byte; a switched-off API answers exactly the same,
 * so nobody can tell a disabled deployment from a path that does not exist.
 */
export const UNKNOWN_ROUTE_BODY = '{"error":"not_found","message":"no such route"}';

export function unknownRoute(): HttpResponse {
  return {
    statusCode: 404,
    headers: { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(UNKNOWN_ROUTE_BODY, 'utf8')) },
    body: UNKNOWN_ROUTE_BODY,
  };
}

/** A handler's answer that is a file, streamed: no `content-length`, never buffered whole. */
export interface Download {
  readonly kind: 'download';
  readonly filename: string;
  readonly contentType: string;
  readonly body: AsyncIterable<string>;
}

export function download(file: {
  filename: string;
  contentType: string;
  body: AsyncIterable<string>;
}): Download {
  return { kind: 'download', ...file };
}

/** The response of a download: `Content-Disposition: attachment`, the body as a stream. */
export function streamed(file: Download): HttpResponse {
  return {
    statusCode: 200,
    headers: {
      'content-type': file.contentType,
      'cache-control': 'no-store',
      // Filenames are ASCII letters, digits, `-` and `.` (exportFilename): nothing to escape.
      'content-disposition': `attachment; filename="${file.filename}"`,
    },
    body: '',
    stream: file.body,
  };
}

/** A handler's answer with headers, for when the body alone is not enough. */
export interface Reply<T> {
  readonly kind: 'reply';
  readonly body: T;
  readonly status?: number;
  readonly headers: Record<string, string>;
}

/**
 * A handler's answer with headers. `etag`: the version the body shows. `location`: the created
 * resource's path in the route table (`/v1/tenants/<id>`); `endpoint()` sends it relative to the
 * request's URL (`locationFrom`).
 */
export function reply<T>(
  body: T,
  options: { status?: number; etag?: number; location?: string; headers?: Record<string, string> } = {},
): Reply<T> {
  return {
    kind: 'reply',
    body,
    ...(options.status === undefined ? {} : { status: options.status }),
    headers: {
      ...options.headers,
      ...(options.etag === undefined ? {} : { etag: etagOf(options.etag) }),
      ...(options.location === undefined ? {} : { location: options.location }),
    },
  };
}

/** A route's path with its parameters filled in (`/v1/tenants/{id}` -> `/v1/tenants/<id>`). */
export function pathOf(route: { readonly path: string }, params: Readonly<Record<string, string>>): string {
  return route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.path}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/**
 * A `Location` as a relative reference from the request's path to `target` (both paths of the
 * route table): resolved against the URL the client called, it lands on the target under
 * whatever the ingress put in front of our paths (an API Gateway stage, a base path mapping),
 * which the function never sees. `/v1/tenants` -> `/v1/tenants/<id>` is `tenants/<id>`;
 * `/v1/api-keys/<old>/roll` -> `/v1/api-keys/<new>` is `../<new>`.
 */
export function locationFrom(requestPath: string, target: string): string {
  const base = requestPath.split('/').slice(0, -1);
  const to = target.split('/');
  let same = 0;
  while (same < base.length && same < to.length - 1 && base[same] === to[same]) same++;
  const relative = '../'.repeat(base.length - same) + to.slice(same).join('/');
  // A first segment with a colon would read as a scheme (RFC 3986, 4.2).
  return /^[^/]*:/.test(relative) ? `./${relative}` : relative;
}

export function etagOf(version: number): string {
  return `"v${version}"`;
}

/**
 * One entity-tag of RFC 9110: optional `W/`, then visible ASCII but `"` in quotes; obs-text is
 * taken as any non-ASCII character (however the ingress decoded the header's bytes).
 */
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e\u0080-\uffff]*)"/y;
const OWS_OR_COMMA = /[ \t,]*/y;
const OWS = /[ \t]*/y;
/** The tags we issue: `"v<version>"`, version from 1. */
const OUR_TAG = /^v([1-9]\d{0,15})$/;

/**
 * The version an If-Match header names: undefined without a precondition (no header, or `*`
 * on a resource that exists), NaN when no tag in it is one we could have issued (a 412: no
 * version matches). If-Match compares strong tags, so a weak tag (`W/"v1"`) never matches.
 * A header that is neither `*` nor a list of quoted entity-tags (`v1`, `garbage`, an empty
 * value) is a 400, as is a list naming two of our versions (one expected version, not a set).
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return undefined;
  const versions = new Set<number>();
  let at = 0;
  let tags = 0;
  for (;;) {
    OWS_OR_COMMA.lastIndex = at;
    OWS_OR_COMMA.exec(header);
    at = OWS_OR_COMMA.lastIndex;
    if (at >= header.length) break;
    ENTITY_TAG.lastIndex = at;
    const m = ENTITY_TAG.exec(header);
    if (!m) throw malformedIfMatch();
    tags++;
    const ours = m[1] === undefined ? OUR_TAG.exec(m[2] ?? '') : null;
    if (ours?.[1]) versions.add(Number(ours[1]));
    OWS.lastIndex = ENTITY_TAG.lastIndex;
    OWS.exec(header);
    at = OWS.lastIndex;
    if (at < header.length && header[at] !== ',') throw malformedIfMatch();
  }
  if (tags === 0) throw malformedIfMatch();
  if (versions.size > 1) {
    throw new ValidationError('the If-Match header names several versions: send the one ETag you last read');
  }
  const [version] = versions;
  return version ?? Number.NaN;
}

function malformedIfMatch(): ValidationError {
  return new ValidationError('the If-Match header must be * or a quoted ETag such as "v3"');
}

/**
 * The caller's If-Match as a service precondition: a tag we never issued is a 412 (version 0
 * never exists), a malformed header a 400.
 */
export function precondition(request: { headers: Readonly<Record<string, string>> }): {
  expectedVersion?: number;
} {
  const version = versionFromIfMatch(request.headers['if-match']);
  if (version === undefined) return {};
  return { expectedVersion: Number.isNaN(version) ? 0 : version };
}
