import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Router } from './router';

/** Larger bodies are cut off here; the handlers' own limit (64 KiB by default) is lower. */
const MAX_WIRE_BODY = 8 * 1024 * 1024;

/** Serves the router over HTTP, as API Gateway would in front of the functions. */
export function serve(router: Router, options: { port: number; host?: string }): Promise<Server> {
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end('{"error":"payload_too_large","message":"the body is too large"}');
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
      res.writeHead(response.statusCode, response.headers);
      res.end(req.method === 'HEAD' ? undefined : response.body);
    } catch {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal","message":"internal error"}');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve(server));
  });
}

/** The body's bytes as received: decoding (and refusing what is not UTF-8) is the handler's job. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WIRE_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
