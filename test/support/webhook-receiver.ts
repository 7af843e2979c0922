import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  /** performance.now() when the request had arrived whole. */
  readonly at: number;
}

/**
 * A webhook receiver on 127.0.0.1 for tests and benchmarks: records every request and answers
 * with `status` (settable at any time). `next()` resolves with the next request (or one already
 * waiting), so tests wait for an event, never for a time.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  status = 204;
  responseBody = '';
  private server?: Server;
  private waiters: ((r: Received) => void)[] = [];
  private taken = 0;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const entry = { headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
        this.received.push(entry);
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end(this.responseBody);
        const waiter = this.waiters.shift();
        if (waiter) {
          this.taken++;
          waiter(entry);
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return `http://127.0.0.1:${address?.port ?? 0}/hook`;
  }

  /** The next request not yet taken by `next()`. */
  next(): Promise<Received> {
    const waiting = this.received[this.taken];
    if (waiting) {
      this.taken++;
      return Promise.resolve(waiting);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
