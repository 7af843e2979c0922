import type { ALBEvent, APIGatewayProxyEvent } from 'aws-lambda';
import { matchPath, toHttpRequest } from '../../shared/http/request';

const context = { awsRequestId: 'req-1' };

/** An API Gateway (REST, proxy integration) event: API Gateway has already decoded the query. */
function apiGatewayEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    path: '/v1/tenants',
    resource: '/{proxy+}',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'apigw-1',
      identity: { sourceIp: '203.0.113.7' },
    } as unknown as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

/** An ALB event: query names and values arrive still URL-encoded. */
function albEvent(overrides: Partial<ALBEvent> = {}): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/tr/1' } },
    httpMethod: 'GET',
    path: '/v1/tenants',
    headers: {},
    body: null,
    isBase64Encoded: false,
    ...overrides,
  };
}

describe('toHttpRequest (API Gateway v1)', () => {
  it('carries method, path, request id and the caller address', () => {
    const request = toHttpRequest(apiGatewayEvent({ httpMethod: 'post', path: '/v1/tenants/t-1' }), context);
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v1/tenants/t-1',
      requestId: 'req-1',
      sourceIp: '203.0.113.7',
      body: undefined,
      bodyBytes: 0,
      query: {},
      repeated: [],
    });
  });

  it('lower-cases header names', () => {
    const request = toHttpRequest(
      apiGatewayEvent({ headers: { 'Content-Type': 'application/json', 'X-API-Token': 'Secret' } }),
      context,
    );
    expect(request.headers).toEqual({ 'content-type': 'application/json', 'x-api-token': 'Secret' });
  });

  it('joins multi-value headers, which win over the single-value copy', () => {
    const request = toHttpRequest(
      apiGatewayEvent({
        headers: { Accept: 'text/html' },
        multiValueHeaders: { Accept: ['text/html', 'application/json'] },
      }),
      context,
    );
    expect(request.headers.accept).toBe('text/html,application/json');
  });

  it('uses the identity source ip, not X-Forwarded-For', () => {
    const request = toHttpRequest(
      apiGatewayEvent({ headers: { 'X-Forwarded-For': '1.1.1.1, 2.2.2.2' } }),
      context,
    );
    expect(request.sourceIp).toBe('203.0.113.7');
  });

  it('reads single-value query parameters as they are (already decoded)', () => {
    const request = toHttpRequest(
      apiGatewayEvent({
        queryStringParameters: { status: 'active', q: 'a%20b' },
        multiValueQueryStringParameters: { status: ['active'], q: ['a%20b'] },
      }),
      context,
    );
    expect(request.query).toEqual({ status: 'active', q: 'a%20b' });
    expect(request.repeated).toEqual([]);
  });

  it('names a repeated parameter in `repeated` and keeps its last value', () => {
    const request = toHttpRequest(
      apiGatewayEvent({
        queryStringParameters: { status: 'frozen', limit: '5' },
        multiValueQueryStringParameters: { status: ['active', 'frozen'], limit: ['5'] },
      }),
      context,
    );
    expect(request.repeated).toEqual(['status']);
    expect(request.query).toEqual({ status: 'frozen', limit: '5' });
  });

  it('decodes a base64 body and counts its bytes as UTF-8', () => {
    const body = '{"name":"Müller & Søn"}';
    const request = toHttpRequest(
      apiGatewayEvent({ body: Buffer.from(body, 'utf8').toString('base64'), isBase64Encoded: true }),
      context,
    );
    expect(request.body).toBe(body);
    expect(request.bodyBytes).toBe(Buffer.byteLength(body, 'utf8'));
    expect(request.bodyBytes).toBe(body.length + 2);
  });

  it('takes a plain body as it is and treats an empty body as none', () => {
    expect(toHttpRequest(apiGatewayEvent({ body: '{"a":1}' }), context)).toMatchObject({
      body: '{"a":1}',
      bodyBytes: 7,
    });
    expect(toHttpRequest(apiGatewayEvent({ body: '' }), context)).toMatchObject({
      body: undefined,
      bodyBytes: 0,
    });
  });
});

describe('toHttpRequest: repeated headers (API Gateway v1)', () => {
  it('names a header sent twice in `repeatedHeaders`, lower-case, and joins its values', () => {
    const request = toHttpRequest(
      apiGatewayEvent({
        headers: { Authorization: 'Bearer b' },
        multiValueHeaders: { Authorization: ['Bearer a', 'Bearer b'], Accept: ['*/*'] },
      }),
      context,
    );
    expect(request.repeatedHeaders).toEqual(['authorization']);
    expect(request.headers.authorization).toBe('Bearer a,Bearer b');
    expect(request.headers.accept).toBe('*/*');
  });

  it('does not count the single-value copy API Gateway sends beside the list', () => {
    const request = toHttpRequest(
      apiGatewayEvent({
        headers: { 'X-Api-Key': 'k', 'Idempotency-Key': 'i' },
        multiValueHeaders: { 'X-Api-Key': ['k'], 'Idempotency-Key': ['i'] },
      }),
      context,
    );
    expect(request.repeatedHeaders).toEqual([]);
    expect(request.headers).toEqual({ 'x-api-key': 'k', 'idempotency-key': 'i' });
  });

  it('groups names case-insensitively: two spellings are one header sent twice', () => {
    const request = toHttpRequest(
      apiGatewayEvent({
        headers: { 'x-tenant-id': 'b' },
        multiValueHeaders: { 'X-Tenant-ID': ['a'], 'x-tenant-id': ['b'] },
      }),
      context,
    );
    expect(request.repeatedHeaders).toEqual(['x-tenant-id']);
    expect(request.headers['x-tenant-id']).toBe('a,b');
  });

  it('finds two spellings in `headers` alone too', () => {
    const request = toHttpRequest(
      apiGatewayEvent({ headers: { 'X-Api-Key': 'a', 'x-api-key': 'b' }, multiValueHeaders: {} }),
      context,
    );
    expect(request.repeatedHeaders).toEqual(['x-api-key']);
  });
});

describe('toHttpRequest: bodies that are not UTF-8', () => {
  const base64 = (...bytes: number[]) => Buffer.from(bytes).toString('base64');
  const brace = [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22]; // {"a":"
  const close = [0x22, 0x7d]; // "}

  it.each([
    ['a stray continuation byte', [0x80]],
    ['0xFF', [0xff]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a surrogate in CESU/WTF-8 form', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('refuses %s in a base64 body: no text, flagged, the bytes counted', (_, bad) => {
    const bytes = [...brace, ...bad, ...close];
    for (const event of [
      apiGatewayEvent({ body: base64(...bytes), isBase64Encoded: true }),
      albEvent({ httpMethod: 'POST', body: base64(...bytes), isBase64Encoded: true }),
    ]) {
      expect(toHttpRequest(event, context)).toMatchObject({
        body: undefined,
        bodyNotUtf8: true,
        bodyBytes: bytes.length,
      });
    }
  });

  it('keeps valid multi-byte text and a byte order mark as they are', () => {
    const text = '\ufeff{"a":"é€😀"}';
    const request = toHttpRequest(
      apiGatewayEvent({ body: Buffer.from(text, 'utf8').toString('base64'), isBase64Encoded: true }),
      context,
    );
    expect(request).toMatchObject({ body: text, bodyNotUtf8: false, bodyBytes: Buffer.byteLength(text) });
  });

  it('refuses a plain body holding a lone surrogate (what invalid bytes decode to), accepts a pair', () => {
    expect(toHttpRequest(apiGatewayEvent({ body: '{"a":"\ud800"}' }), context)).toMatchObject({
      body: undefined,
      bodyNotUtf8: true,
    });
    expect(toHttpRequest(apiGatewayEvent({ body: '{"a":"x\udc00"}' }), context).bodyNotUtf8).toBe(true);
    expect(toHttpRequest(apiGatewayEvent({ body: '{"a":"😀"}' }), context)).toMatchObject({
      body: '{"a":"😀"}',
      bodyNotUtf8: false,
    });
  });
});

describe('toHttpRequest (ALB)', () => {
  it('lower-cases header names', () => {
    const request = toHttpRequest(
      albEvent({ headers: { 'Content-Type': 'application/json', HOST: 'x' } }),
      context,
    );
    expect(request.headers).toEqual({ 'content-type': 'application/json', host: 'x' });
  });

  it('URL-decodes query names and values', () => {
    const request = toHttpRequest(
      albEvent({ queryStringParameters: { q: 'a%20b+c', 'sort%5Bby%5D': 'name%26id', plain: 'x' } }),
      context,
    );
    expect(request.query).toEqual({ q: 'a b c', 'sort[by]': 'name&id', plain: 'x' });
  });

  it('keeps a malformed escape as it came', () => {
    const request = toHttpRequest(albEvent({ queryStringParameters: { q: '100%' } }), context);
    expect(request.query.q).toBe('100%');
  });

  it('reports a repeated parameter from multi-value mode and keeps its last value, decoded', () => {
    const request = toHttpRequest(
      albEvent({ multiValueQueryStringParameters: { status: ['active', 'frozen%20x'], limit: ['5'] } }),
      context,
    );
    expect(request.repeated).toEqual(['status']);
    expect(request.query).toEqual({ status: 'frozen x', limit: '5' });
  });

  it('takes the right-most X-Forwarded-For hop as the source ip (the one the ALB added)', () => {
    const request = toHttpRequest(
      albEvent({ headers: { 'x-forwarded-for': '6.6.6.6, 10.0.0.1,  198.51.100.9 ' } }),
      context,
    );
    expect(request.sourceIp).toBe('198.51.100.9');
  });

  it('takes the right-most hop across multi-value X-Forwarded-For headers', () => {
    const request = toHttpRequest(
      albEvent({ multiValueHeaders: { 'X-Forwarded-For': ['6.6.6.6', '198.51.100.9'] } }),
      context,
    );
    expect(request.sourceIp).toBe('198.51.100.9');
  });

  it('names a header repeated in multi-value mode (the only mode in which an ALB shows repeats)', () => {
    const request = toHttpRequest(
      albEvent({
        headers: undefined,
        multiValueHeaders: { authorization: ['Bearer a', 'Bearer b'], 'x-api-key': ['k'] },
      }),
      context,
    );
    expect(request.repeatedHeaders).toEqual(['authorization']);
    expect(request.headers['x-api-key']).toBe('k');
  });

  it('says unknown without X-Forwarded-For', () => {
    expect(toHttpRequest(albEvent(), context).sourceIp).toBe('unknown');
    expect(toHttpRequest(albEvent({ headers: { 'x-forwarded-for': '' } }), context).sourceIp).toBe('unknown');
  });

  it('decodes a base64 body', () => {
    const request = toHttpRequest(
      albEvent({
        httpMethod: 'POST',
        body: Buffer.from('{"slug":"acme"}').toString('base64'),
        isBase64Encoded: true,
      }),
      context,
    );
    expect(request.body).toBe('{"slug":"acme"}');
    expect(request.bodyBytes).toBe(15);
  });

  // BUG (reported, not fixed): ALB parameters are grouped by their still-encoded names and only
  // decoded afterwards, so `?status=active&st%61tus=archived` is one parameter sent twice that
  // `repeated` does not report; the later spelling silently wins. API Gateway decodes names
  // before grouping, so there the same request is refused as repeated.
  it('reports a parameter repeated under a differently encoded name as repeated', () => {
    const request = toHttpRequest(
      albEvent({ multiValueQueryStringParameters: { status: ['active'], 'st%61tus': ['archived'] } }),
      context,
    );
    expect(request.repeated).toEqual(['status']);
  });
});

describe('matchPath', () => {
  it('extracts one parameter', () => {
    expect(matchPath('/v1/tenants/{id}', '/v1/tenants/t-1')).toEqual({ id: 't-1' });
  });

  it('extracts several parameters', () => {
    expect(matchPath('/v1/tenants/{id}/aliases/{slug}', '/v1/tenants/t-1/aliases/acme')).toEqual({
      id: 't-1',
      slug: 'acme',
    });
  });

  it('matches a template without parameters exactly, with an optional trailing slash', () => {
    expect(matchPath('/v1/tenants', '/v1/tenants')).toEqual({});
    expect(matchPath('/v1/tenants', '/v1/tenants/')).toEqual({});
    expect(matchPath('/v1/tenants/{id}', '/v1/tenants/t-1/')).toEqual({ id: 't-1' });
  });

  it.each([
    ['/v1/tenants/{id}', '/v1/tenants'],
    ['/v1/tenants/{id}', '/v1/tenants/'],
    ['/v1/tenants/{id}', '/v1/tenants/t-1/aliases'],
    ['/v1/tenants/{id}', '/v1/tenants//'],
    ['/v1/tenants/{id}', '/x/v1/tenants/t-1'],
    ['/v1/tenants', '/v1/tenantsx'],
    ['/v1/tenants', '/V1/TENANTS'],
    ['/v1/tenants', '/v1/tenants//'],
    ['/v1/a.b', '/v1/aXb'],
    ['/v1/{id}+', '/v1/aaa'],
  ])('%j does not match %j', (template, path) => {
    expect(matchPath(template, path)).toBeUndefined();
  });

  it('treats regex characters in the template literally', () => {
    expect(matchPath('/v1/a.b', '/v1/a.b')).toEqual({});
    expect(matchPath('/v1/{id}+', '/v1/x+')).toEqual({ id: 'x' });
  });

  it('percent-decodes parameters', () => {
    expect(matchPath('/v1/tenants/{id}', '/v1/tenants/a%20b')).toEqual({ id: 'a b' });
    expect(matchPath('/v1/tenants/{id}', '/v1/tenants/%C3%BC')).toEqual({ id: 'ü' });
  });

  it('refuses a malformed escape', () => {
    expect(matchPath('/v1/tenants/{id}', '/v1/tenants/%E0%A4%A')).toBeUndefined();
    expect(matchPath('/v1/tenants/{id}', '/v1/tenants/100%')).toBeUndefined();
  });
});
