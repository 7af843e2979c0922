import { PassThrough, Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import {
  CSV_COLUMNS,
  csvField,
  csvRows,
  EXPORT_CHUNK_CHARS,
  exportFilename,
  isContiguous,
  ndjsonLines,
} from '../../shared/domain/audit-export';
import type { EndpointHandler } from '../../shared/http/endpoint';
import type { HttpEvent } from '../../shared/http/request';
import type { HttpResponse } from '../../shared/http/responses';
import { type LambdaStreamingRuntime, streamingEndpoint, writeChunks } from '../../shared/http/streaming';

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
  const header = {
    version: 1 as const,
    view: 'operator' as const,
    exported_at: '2025-01-01T00:00:00.000Z',
    filters: {},
    contiguous: true,
    from_checkpoint: null,
  };

  test('the header line first (its own chunk), then one chunk per non-empty page, one line per event', async () => {
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

  test('a large page goes out in chunks of about 16 KiB, whole lines, none spanning two pages', async () => {
    const event = (id: number) => ({
      id,
      action: 'record.touched',
      created_at: '2025-01-01T00:00:00.000Z',
      prev_hash: 'p'.repeat(64),
      hash: 'h'.repeat(64),
      metadata: { note: 'x'.repeat(100) },
    });
    const page = Array.from({ length: 500 }, (_, i) => event(i + 1));
    const [, ...chunks] = await collect(ndjsonLines(header, from([page, [event(501)]])));
    const line = `${JSON.stringify(event(1))}\n`.length;
    expect(EXPORT_CHUNK_CHARS).toBe(16_384);
    // 500 lines of about 330 characters: 11 chunks for the page, one for the next page's line.
    expect(chunks.length).toBe(Math.ceil((500 * line) / (16_384 + line - 1)) + 1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThan(16_384 + line);
      expect(chunk.endsWith('\n')).toBe(true);
    }
    expect(chunks.at(-1)).toBe(`${JSON.stringify(event(501))}\n`);
    expect(chunks.join('')).toBe([...page, event(501)].map((e) => `${JSON.stringify(e)}\n`).join(''));
    const rows = await collect(csvRows('operator', from([page])));
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows.slice(1)) expect(row.length).toBeLessThan(16_384 + 2 * line);
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

describe('writeChunks (backpressure)', () => {
  /** A client that takes a chunk every `ms` milliseconds, with a 1-byte buffer: every write waits. */
  function slowClient(ms: number) {
    const received: string[] = [];
    const out = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString('utf8'));
        setTimeout(done, ms);
      },
    });
    return { out, received };
  }
  /** A source that counts how far its reads ran ahead of what the client received. */
  function source(n: number, received: readonly string[]) {
    const state = { pulled: 0, ahead: 0, closed: false };
    async function* chunks() {
      try {
        for (let i = 0; i < n; i++) {
          state.pulled++;
          state.ahead = Math.max(state.ahead, state.pulled - received.length);
          yield `line ${i}\n`;
        }
      } finally {
        state.closed = true;
      }
    }
    return { chunks: chunks(), state };
  }

  test('reads the next chunk only once the client took the last one; no listener left behind', async () => {
    const { out, received } = slowClient(0);
    const { chunks, state } = source(300, received);
    const listeners = () => out.listenerCount('drain') + out.listenerCount('close');
    const before = listeners();
    expect(await writeChunks(chunks, out)).toBe(true);
    expect(received).toHaveLength(300);
    expect(received[299]).toBe('line 299\n');
    // One chunk in the client's hands and the one just read: never more.
    expect(state.ahead).toBe(1);
    expect(listeners()).toBe(before);
  });

  test('a client that goes away stops the reads and closes the source', async () => {
    const { out, received } = slowClient(1);
    const { chunks, state } = source(1_000, received);
    setTimeout(() => out.destroy(), 20);
    expect(await writeChunks(chunks, out)).toBe(false);
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(1_000);
    expect(state.pulled - received.length).toBeLessThanOrEqual(1);
  });
});
