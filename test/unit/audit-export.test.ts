import { PassThrough, type Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import {
  CSV_COLUMNS,
  csvField,
  csvRows,
  exportFilename,
  isContiguous,
  ndjsonLines,
} from '../../shared/domain/audit-export';
import type { EndpointHandler } from '../../shared/http/endpoint';
import type { HttpEvent } from '../../shared/http/request';
import type { HttpResponse } from '../../shared/http/responses';
import { type LambdaStreamingRuntime, streamingEndpoint } from '../../shared/http/streaming';

async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
const collect = async (parts: AsyncIterable<string>) => {
  const out: string[] = [];
  for await (const p of parts) out.push(p);
  return out;
};

describe('CSV fields (RFC 4180)', () => {
  test.each([
    [undefined, ''],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rhere', '"cr\rhere"'],
    [{ k: 'v,"w"' }, '"{""k"":""v,\\""w\\""""}"'],
    [42, '42'],
    [true, 'true'],
  ])('%j -> %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  test('a header row, one CRLF row per event, the same columns whatever the event holds', async () => {
    const rows = await collect(
      csvRows(
        'tenant',
        from([[{ id: 1, action: 'a', created_at: 't', prev_hash: 'p', hash: 'h', redacted: true as const }]]),
      ),
    );
    expect(rows[0]).toBe(`${CSV_COLUMNS.tenant.join(',')}\r\n`);
    expect(rows[1]).toBe(`1,t,,,,,,a,,,,,,,,,,true,p,h\r\n`);
    expect(CSV_COLUMNS.operator).toContain('nonce');
    expect(CSV_COLUMNS.tenant).not.toContain('nonce');
  });
});

describe('NDJSON', () => {
  test('the header line first (its own chunk), then one chunk per non-empty page, one line per event', async () => {
    const header = {
      version: 1 as const,
      view: 'operator' as const,
      exported_at: '2025-01-01T00:00:00.000Z',
      filters: {},
      contiguous: true,
      from_checkpoint: null,
    };
    const lines = await collect(
      ndjsonLines(
        header,
        from([
          [{ id: 1, action: 'a', created_at: 't', prev_hash: 'p', hash: 'h' }],
          [],
          [
            { id: 2, action: 'b', created_at: 't', prev_hash: 'h', hash: 'i' },
            { id: 3, action: 'c', created_at: 't', prev_hash: 'i', hash: 'j' },
          ],
        ]),
      ),
    );
    expect(lines).toEqual([
      `${JSON.stringify({ export: header })}\n`,
      '{"id":1,"action":"a","created_at":"t","prev_hash":"p","hash":"h"}\n',
      '{"id":2,"action":"b","created_at":"t","prev_hash":"h","hash":"i"}\n{"id":3,"action":"c","created_at":"t","prev_hash":"i","hash":"j"}\n',
    ]);
  });

  test('contiguous: tenant and time only', () => {
    expect(isContiguous({ tenant_id: 'x', since: '1', until: '2' })).toBe(true);
    expect(isContiguous({ tenant_id: 'x', action: undefined })).toBe(true);
    for (const f of ['product', 'actor_id', 'action', 'origin', 'key_id'])
      expect(isContiguous({ [f]: 'v' })).toBe(false);
  });

  test('filename: tenant or all, UTC second, format', () => {
    const at = new Date('2025-03-04T05:06:07.890Z');
    expect(exportFilename(undefined, at, 'csv')).toBe('audit-all-20250304T050607Z.csv');
    expect(exportFilename('0f5e', at, 'ndjson')).toBe('audit-0f5e-20250304T050607Z.ndjson');
  });
});

describe('streamingEndpoint (Lambda response streaming)', () => {
  function fakeRuntime() {
    const preludes: { statusCode: number; headers: Record<string, string> }[] = [];
    const outputs: PassThrough[] = [];
    const runtime: LambdaStreamingRuntime = {
      streamifyResponse: (handler) => handler,
      HttpResponseStream: {
        from: (stream: Writable, prelude) => {
          preludes.push(prelude);
          return stream;
        },
      },
    };
    return { runtime, preludes, outputs };
  }
  const spec = { operation: { operationId: 'x' } } as unknown as EndpointHandler['spec'];
  const handlerOf = (response: HttpResponse): EndpointHandler =>
    Object.assign(async () => response, { spec }) as EndpointHandler;
  const invoke = async (h: EndpointHandler, out: PassThrough) =>
    (h as unknown as (e: HttpEvent, s: Writable, c: Context) => Promise<void>)(
      {} as HttpEvent,
      out,
      {} as Context,
    );
  const read = (out: PassThrough) => {
    const parts: Buffer[] = [];
    out.on('data', (d: Buffer) => parts.push(d));
    return () => Buffer.concat(parts).toString('utf8');
  };

  test('outside Lambda the handler is returned as it is', () => {
    const h = handlerOf({ statusCode: 200, headers: {}, body: '' });
    expect(streamingEndpoint(h, undefined)).toBe(h);
  });

  test('writes the prelude (status, headers), then every chunk, then ends; keeps the spec', async () => {
    const { runtime, preludes } = fakeRuntime();
    const h = streamingEndpoint(
      handlerOf({
        statusCode: 200,
        headers: { 'content-type': 'text/csv' },
        body: '',
        stream: from(['a,b\r\n', '1,2\r\n']),
      }),
      runtime,
    );
    expect(h.spec).toBe(spec);
    const out = new PassThrough();
    const text = read(out);
    await invoke(h, out);
    expect(preludes).toEqual([{ statusCode: 200, headers: { 'content-type': 'text/csv' } }]);
    expect(text()).toBe('a,b\r\n1,2\r\n');
    expect(out.writableEnded).toBe(true);
  });

  test('a buffered answer (an error, OPTIONS) is written as its body', async () => {
    const { runtime, preludes } = fakeRuntime();
    const body = '{"error":"invalid_input","message":"query.format: ..."}';
    const h = streamingEndpoint(
      handlerOf({ statusCode: 400, headers: { 'content-type': 'application/json' }, body }),
      runtime,
    );
    const out = new PassThrough();
    const text = read(out);
    await invoke(h, out);
    expect(preludes[0]?.statusCode).toBe(400);
    expect(text()).toBe(body);
  });

  test('a failure mid-stream cuts the body short (destroyed, never ended as if complete)', async () => {
    const { runtime } = fakeRuntime();
    async function* failing() {
      yield 'first\n';
      throw new Error('store unavailable');
    }
    const h = streamingEndpoint(
      handlerOf({ statusCode: 200, headers: {}, body: '', stream: failing() }),
      runtime,
    );
    const out = new PassThrough();
    out.on('error', () => undefined);
    const text = read(out);
    // The logger's `stream.failed` line goes to stdout: kept out of the test output.
    const write = process.stdout.write;
    const logged: string[] = [];
    process.stdout.write = ((chunk: string) => logged.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      await invoke(h, out);
    } finally {
      process.stdout.write = write;
    }
    expect(logged.join('')).toContain('stream.failed');
    expect(out.destroyed).toBe(true);
    expect(out.writableEnded).toBe(false);
    expect(text()).toBe('first\n');
  });
});
