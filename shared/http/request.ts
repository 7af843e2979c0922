import type { ALBEvent, APIGatewayProxyEvent, Context } from 'aws-lambda';

/** The event an endpoint accepts: API Gateway (REST, proxy) or an Application Load Balancer. */
export type HttpEvent = APIGatewayProxyEvent | ALBEvent;

/** One request, whichever ingress delivered it. Header names are lower-case. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Each header once, several values joined by `,`; `repeatedHeaders` names those sent more than once. */
  readonly headers: Readonly<Record<string, string>>;
  readonly repeatedHeaders: readonly string[];
  /** Each query parameter once; `repeated` names those sent more than once. */
  readonly query: Readonly<Record<string, string>>;
  readonly repeated: readonly string[];
  /** The body as text; undefined when there is none, or when its bytes are not UTF-8 (`bodyNotUtf8`). */
  readonly body: string | undefined;
  readonly bodyNotUtf8: boolean;
  readonly bodyBytes: number;
  readonly sourceIp: string;
  readonly requestId: string;
}

/** Fatal: a byte sequence that is not UTF-8 is an error, never silently U+FFFD. BOMs stay in the text. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;

export function toHttpRequest(event: HttpEvent, context: Pick<Context, 'awsRequestId'>): HttpRequest {
  const { headers, repeatedHeaders } = headersOf(event);

  // ALB hands query strings over still URL-encoded; API Gateway decodes them. Group by the
  // decoded name, so `st%61tus` and `status` are one (repeated) parameter either way.
  const encoded = 'elb' in event.requestContext;
  const values = new Map<string, string[]>();
  const multi = event.multiValueQueryStringParameters ?? {};
  const single = event.queryStringParameters ?? {};
  for (const name of new Set([...Object.keys(single), ...Object.keys(multi)])) {
    const raw = (Object.hasOwn(multi, name) ? multi[name] : undefined) ?? [single[name]];
    const key = decode(name, encoded);
    for (const value of raw)
      if (value !== undefined) values.set(key, [...(values.get(key) ?? []), decode(value, encoded)]);
  }
  const query: Record<string, string> = Object.create(null);
  const repeated: string[] = [];
  for (const [name, list] of values) {
    if (list.length > 1) repeated.push(name);
    query[name] = list.at(-1) ?? '';
  }

  const { body, bytes, notUtf8 } = bodyOf(event);
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    headers,
    repeatedHeaders,
    query,
    repeated,
    body,
    bodyNotUtf8: notUtf8,
    bodyBytes: bytes,
    sourceIp: sourceIpOf(event, headers),
    requestId: context.awsRequestId,
  };
}

/**
 * Headers by lower-case name. API Gateway sends `multiValueHeaders` (every value) beside
 * `headers` (the last one); an ALB sends one or the other, `multiValueHeaders` when the target
 * group enables them. Names are grouped case-insensitively, so `X-Api-Key` and `x-api-key` are
 * one header sent twice. Without multi-value headers a repeat can only show as two spellings.
 */
function headersOf(event: HttpEvent): { headers: Record<string, string>; repeatedHeaders: string[] } {
  // Null-prototype maps: a header named `__proto__` or `constructor` is just a name.
  const values: Record<string, string[]> = Object.create(null);
  const fromMulti = new Set<string>();
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) {
    if (!v || v.length === 0) continue;
    const name = k.toLowerCase();
    fromMulti.add(name);
    values[name] = [...(values[name] ?? []), ...v];
  }
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    const name = k.toLowerCase();
    if (v === undefined || fromMulti.has(name)) continue;
    values[name] = [...(values[name] ?? []), v];
  }
  const headers: Record<string, string> = Object.create(null);
  const repeatedHeaders: string[] = [];
  for (const [name, list] of Object.entries(values)) {
    if (list.length > 1) repeatedHeaders.push(name);
    headers[name] = list.join(',');
  }
  return { headers, repeatedHeaders };
}

/** The body as text, its size in bytes, and whether its bytes fail to be UTF-8. */
function bodyOf(event: HttpEvent): { body: string | undefined; bytes: number; notUtf8: boolean } {
  const raw = event.body ?? undefined;
  if (raw === undefined || raw === '') return { body: undefined, bytes: 0, notUtf8: false };
  if (!event.isBase64Encoded) {
    // Already text (the ingress decoded it); a lone surrogate is what invalid bytes become.
    const notUtf8 = LONE_SURROGATE.test(raw);
    return { body: notUtf8 ? undefined : raw, bytes: Buffer.byteLength(raw, 'utf8'), notUtf8 };
  }
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length === 0) return { body: undefined, bytes: 0, notUtf8: false };
  try {
    return { body: UTF8.decode(bytes), bytes: bytes.length, notUtf8: false };
  } catch {
    return { body: undefined, bytes: bytes.length, notUtf8: true };
  }
}

function decode(value: string, encoded: boolean): string {
  if (!encoded) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function sourceIpOf(event: HttpEvent, headers: Record<string, string>): string {
  if ('identity' in event.requestContext) return event.requestContext.identity.sourceIp;
  // Behind an ALB the right-most X-Forwarded-For entry is the one the load balancer added.
  const hops = (headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim());
  return hops.at(-1) || 'unknown';
}

/** Path parameters by matching the route template, so both ingress modes behave alike. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const m = new RegExp(`^${pattern}/?$`).exec(path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    try {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
    } catch {
      return undefined;
    }
  }
  return params;
}
