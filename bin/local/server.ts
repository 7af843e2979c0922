import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { errorResponse, HttpError } from '../../shared/http/errors';
import type { HttpResponse } from '../../shared/http/responses';
import { writeChunks } from '../../shared/http/streaming';
import { LocalModeError } from './errors';
import type { Router } from './router';

/**
 * Bodies above this are not buffered; the handlers' own limit (64 KiB by default, at most
 * 6,000,000 bytes) is lower, so only a body no handler would take is answered here.
 */
export const MAX_WIRE_BODY = 8 * 1024 * 1024;

/** Serves the router over HTTP, as API Gateway would in front of the functions. */
export function serve(router: Router, options: { port: number; host?: string }): Promise<Server> {
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (body === undefined) {
        send(res, tooLarge(), true);
        return;
      }
      const response = await router.handle({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        // Every value of a repeated header (`req.headers` keeps the first Authorization only).
        headers: req.headersDistinct,
        body,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      });
      if (response.stream && req.method !== 'HEAD') {
        await sendStream(res, response, response.stream);
        return;
      }
      send(res, response, false, req.method === 'HEAD');
    } catch {
      if (res.headersSent) {
        // Mid-stream: the status is gone; a cut connection tells the client the body is incomplete.
        res.destroy();
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal","message":"internal error"}');
    }
  });
  // A client that asks before sending (`Expect: 100-continue`, curl does for large bodies) is
  // told at once, and sends nothing.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredLength(req) > MAX_WIRE_BODY) {
      send(res, tooLarge(), true);
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenFailure(error, options.port, host)));
    server.listen(options.port, host, () => resolve(server));
  });
}

/**
 * Fails now, in one line, if the port cannot be listened on, so a busy port is reported before
 * DynamoDB Local spends seconds starting. `serve` reports the same should the port be taken
 * in between.
 */
export async function checkPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(listenFailure(error, port, host)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function listenFailure(error: NodeJS.ErrnoException, port: number, host: string): Error {
  if (error.code === 'EADDRINUSE') {
    return new LocalModeError(
      `port ${port} on ${host} is in use (another npm start?): stop that process or set PORT to a free port`,
    );
  }
  if (error.code === 'EACCES') {
    return new LocalModeError(`port ${port} needs privileges on this machine: set PORT to 1024 or above`);
  }
  return error;
}

function send(res: ServerResponse, response: HttpResponse, close = false, head = false): void {
  res.writeHead(response.statusCode, { ...response.headers, ...(close ? { connection: 'close' } : {}) });
  res.end(head ? undefined : response.body);
}

/**
 * A streamed body (an export), as API Gateway's response streaming sends it: chunked transfer,
 * one write per chunk, waiting for the socket to drain, so memory holds one chunk at a time
 * however large the body. A client that goes away stops the reads.
 */
async function sendStream(res: ServerResponse, response: HttpResponse, body: AsyncIterable<string>) {
  res.writeHead(response.statusCode, response.headers);
  if (await writeChunks(body, res)) res.end();
}

/** The endpoint layer's 413, with a request id of its own (no handler ran). */
function tooLarge(): HttpResponse {
  return errorResponse(
    new HttpError('payload_too_large', `the body is larger than ${MAX_WIRE_BODY} bytes`),
    `local-${randomUUID()}`,
  ).response;
}

function declaredLength(req: IncomingMessage): number {
  const value = req.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}

/**
 * The body's bytes as received (decoding, and refusing what is not UTF-8, is the handler's job),
 * or undefined when it is over MAX_WIRE_BODY. An oversized body is still read
 * to its end (and dropped), so the client, still sending, gets the 413 instead of a reset
 * connection.
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = declaredLength(req) > MAX_WIRE_BODY ? Number.POSITIVE_INFINITY : 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_WIRE_BODY) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_WIRE_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
