import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One SendMessage the stand-in took. */
export interface SentMessage {
  readonly messageId: string;
  readonly queueUrl: string;
  readonly body: string;
  readonly delaySeconds: number;
}

/**
 * SQS's SendMessage on loopback (the AWS JSON protocol the SDK speaks), for tests that prove the
 * queue calls a function makes (test/integration/least-privilege.test.ts): it keeps each message
 * and answers with the body's MD5, which the SDK checks. Nothing receives from it: a test hands
 * the kept messages to the consumer itself.
 */
export class SqsStandIn {
  readonly messages: SentMessage[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<SqsStandIn> {
    let self: SqsStandIn | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        if (target !== 'AmazonSQS.SendMessage' || typeof input.MessageBody !== 'string') {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#UnsupportedOperation', message: target }));
          return;
        }
        const messageId = randomUUID();
        self?.messages.push({
          messageId,
          queueUrl: String(input.QueueUrl),
          body: input.MessageBody,
          delaySeconds: Number(input.DelaySeconds ?? 0),
        });
        const md5 = createHash('md5').update(input.MessageBody).digest('hex');
        res.end(JSON.stringify({ MessageId: messageId, MD5OfMessageBody: md5 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new SqsStandIn(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** A queue URL on this stand-in (the SDK sends to the queue URL's host). */
  queueUrl(name: string): string {
    return `${this.url}/000000000000/${name}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
