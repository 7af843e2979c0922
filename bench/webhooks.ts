import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEventPublishing } from '../bin/local/events';
import { serve } from '../bin/local/server';
import type { RegistryEvent } from '../shared/domain/events';
import { uniqueSlug } from '../test/fixtures/tenants';
import { WebhookReceiver } from '../test/support/webhook-receiver';
import { call } from './latency';
import { fmt, percentile, startBenchStack } from './stack';

/**
 * The webhooks' figures, on the local stack (DynamoDB Local, the in-process queue and sender,
 * a receiver on 127.0.0.1), through the local HTTP server.
 *
 *   E1  p50 from commit to delivery: from the answer of POST /v1/tenants (the transaction has
 *       committed) to the receiver holding that tenant's `tenant.created` (goal <= 1 s). Bounded
 *       by the stream consumer's poll interval: the dispatcher runs when the consumer reads the
 *       event from the table's stream, then the queue hands the delivery to the sender at once.
 *       Needs the stream consumer (the outbox half, `eventSinks` with `webhookSink()`): a build
 *       without it delivers nothing on commit, and E1 says so instead of a figure.
 *   E2  p50 of POST /v1/tenants with 10 enabled webhook subscriptions (`*`) / with none (the same
 *       10 disabled), in alternating blocks of 10 requests (goal <= 1.05): delivery never sits in
 *       the request path.
 */

export const E1_GOAL_MS = 1000;
export const E2_GOAL = 1.05;

export interface WebhookFigures {
  readonly e1: { readonly p50Ms: number; readonly samples: number } | { readonly unavailable: string };
  readonly e2: {
    readonly subscribed: number;
    readonly none: number;
    readonly ratio: number;
    readonly rounds: number;
  };
}

export async function webhookFigures(
  options: { e1Samples?: number; e2Rounds?: number } = {},
): Promise<WebhookFigures> {
  const stack = await startBenchStack({
    TENANT_REGISTRY_LOG_LEVEL: 'WARN',
    TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true',
  });
  const receiver = await new WebhookReceiver().start();
  // The stream consumer as `npm start` runs it: DynamoDB Local's stream polled in process.
  const publishing = await startEventPublishing(
    mkdtempSync(join(tmpdir(), 'tr-bench-events-')),
    stack.tableName,
  );
  const server = await serve(stack.router, { port: 0 });
  const port = (server.address() as AddressInfo).port;
  const admin = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  const create = () =>
    call(port, 'POST', '/v1/tenants', admin, JSON.stringify({ slug: uniqueSlug('e'), name: 'bench' }));
  try {
    const hooks: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await stack.request('POST', '/v1/webhooks', {
        body: { url: receiver.url, events: ['*'], description: `bench ${i}` },
      });
      if (res.status !== 201) throw new Error(`creating a webhook answered ${res.status} ${res.text}`);
      hooks.push(res.body.webhook.id);
    }
    const e1 = await commitToDelivery(stack, receiver, options.e1Samples ?? 50);

    const setAll = async (status: 'enabled' | 'disabled') => {
      for (const id of hooks) await stack.request('PATCH', `/v1/webhooks/${id}`, { body: { status } });
    };
    const rounds = options.e2Rounds ?? 200;
    const samples = { subscribed: [] as number[], none: [] as number[] };
    for (let block = 0; samples.subscribed.length < rounds || samples.none.length < rounds; block++) {
      const subscribed = block % 2 === 0;
      await setAll(subscribed ? 'enabled' : 'disabled');
      for (let i = 0; i < 10; i++) {
        const res = await create();
        if (res.status !== 201) throw new Error(`POST /v1/tenants answered ${res.status}`);
        if (block >= 2) (subscribed ? samples.subscribed : samples.none).push(res.ms);
      }
    }
    const subscribed = percentile(samples.subscribed, 50);
    const none = percentile(samples.none, 50);
    return { e1, e2: { subscribed, none, ratio: subscribed / none, rounds } };
  } finally {
    server.close();
    await publishing.stop();
    await receiver.close();
    await stack.close();
  }
}

/** E1: each create's answer to its `tenant.created` at the receiver. */
async function commitToDelivery(
  stack: Awaited<ReturnType<typeof startBenchStack>>,
  receiver: WebhookReceiver,
  samples: number,
): Promise<WebhookFigures['e1']> {
  const waits: number[] = [];
  for (let i = 0; i < samples; i++) {
    const res = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('e1'), name: 'bench' },
    });
    const committed = performance.now();
    const id = res.body.tenant.id as string;
    const arrived = await Promise.race([
      (async () => {
        for (;;) {
          const got = await receiver.next();
          const event = JSON.parse(got.body) as RegistryEvent;
          if (event.type === 'tenant.created' && event.tenant_id === id) return got.at;
        }
      })(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000).unref()),
    ]);
    if (arrived === undefined) {
      return {
        unavailable:
          'no delivery within 5 s of a commit: this build runs no stream consumer (wire the outbox half with webhookSink())',
      };
    }
    waits.push(arrived - committed);
  }
  return { p50Ms: percentile(waits, 50), samples };
}

export function printWebhooks(f: WebhookFigures): void {
  console.log('\nWebhooks');
  if ('unavailable' in f.e1) console.log(`  E1 commit -> delivery p50: n/a (${f.e1.unavailable})`);
  else
    console.log(
      `  E1 commit -> delivery p50 ${fmt(f.e1.p50Ms, 0)} ms over ${f.e1.samples} (goal <= ${E1_GOAL_MS} ms; bound: the stream poll interval)`,
    );
  console.log(
    `  E2 POST /v1/tenants p50 with 10 subscriptions ${fmt(f.e2.subscribed)} ms / none ${fmt(f.e2.none)} ms = ${fmt(f.e2.ratio, 3)} (goal <= ${E2_GOAL}; ${f.e2.rounds} each, alternating blocks of 10)`,
  );
}
