import type { ALBEvent, APIGatewayProxyEvent, Context } from 'aws-lambda';

/** The event an endpoint accepts: API Gateway (REST, proxy) or an Application Load Balancer. */
export type HttpEvent = APIGatewayProxyEvent | ALBEvent;

/** One request, whichever ingress delivered it. Header names are lower-case. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Each query parameter once; `repeated` names those sent more than once. */
  readonly query: Readonly<Record<string, string>>;
  readonly repeated: readonly string[];
  readonly body: string | undefined;
  readonly bodyBytes: number;
  readonly sourceIp: string;
  readonly requestId: string;
}

export function toHttpRequest(event: HttpEvent, context: Pick<Context, 'awsRequestId'>): HttpRequest {
  // Null-prototype maps: a parameter named `__proto__` or `constructor` is just a name.
  const headers: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) {
    if (v && v.length > 0) headers[k.toLowerCase()] = v.join(',');
  }

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

  const raw = event.body ?? undefined;
  const body = raw !== undefined && event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    headers,
    query,
    repeated,
    body: body === '' ? undefined : body,
    bodyBytes: body === undefined ? 0 : Buffer.byteLength(body, 'utf8'),
    sourceIp: sourceIpOf(event, headers),
    requestId: context.awsRequestId,
  };
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
