import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEventPublishing } from '../bin/local/events';
import { serve } from '../bin/local/server';
import type { InProcessDeliveryQueue } from '../shared/adapters/memory/delivery-queue';
import { deliveryQueue, dynamodb } from '../shared/app';
import type { RegistryEvent } from '../shared/domain/events';
import { uniqueSlug } from '../test/fixtures/tenants';
import { liveMiddlewareStack } from '../test/support/sdk-middleware';
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
 *       the request path. In AWS the delivery side (stream consumer, dispatcher, sender) runs on
 *       Lambdas of its own and DynamoDB on AWS's machines: nothing it does takes the API's CPU.
 *       Here it runs in a process of its own (bench/webhook-pipeline.ts, with the receiver), so
 *       none of its work lands on the server's event loop, and it is paused while a block is
 *       measured and drained between blocks (stream read to its end, every delivery sent,
 *       counted): on a shared 2-core machine, where it would otherwise take the very cores the
 *       server and DynamoDB Local run on, that is what "elsewhere" means. Printed beside it: the
 *       same ratio with the delivery side running during the blocks (that contention, for the
 *       record), its CPU per POST, and the DynamoDB calls the API process made per POST in each
 *       arm (the same: nothing in the request path reads subscriptions or enqueues deliveries).
 */

export const E1_GOAL_MS = 1000;
/**
 * How long E1 waits for one delivery before it concludes nothing delivers. The first waits
 * behind the deliveries of the endpoints' own `webhook.created` events, which take more than 5 s
 * on a loaded 2-core machine.
 */
const E1_WAIT_MS = 30_000;
export const E2_GOAL = 1.05;

export interface WebhookFigures {
  readonly e1: { readonly p50Ms: number; readonly samples: number } | { readonly unavailable: string };
  readonly e2: {
    /** The delivery side paused during the measured blocks (the figure). */
    readonly apart: E2Arms;
    /** The delivery side running during the measured blocks, on the same cores (for the record). */
    readonly concurrent: E2Arms;
    readonly rounds: number;
    /** The machine's 1-minute load average at the end: the figure's context. */
    readonly load: number;
  };
}

export interface E2Arm {
  readonly p50Ms: number;
  /** Requests the receiver got for this arm's blocks (drained after each). */
  readonly delivered: number;
  /** The delivery side's CPU (ms, user + system) per POST of this arm, drain included. */
  readonly pipelineCpuMs: number;
  /** DynamoDB calls the API process made per POST, by command. */
  readonly requestPathCalls: Readonly<Record<string, number>>;
}

export interface E2Arms {
  readonly subscribed: E2Arm;
  readonly none: E2Arm;
  readonly ratio: number;
}

type ArmName = 'subscribed' | 'none' | 'subscribedConcurrent' | 'noneConcurrent';
const ARMS: readonly ArmName[] = ['subscribed', 'none', 'subscribedConcurrent', 'noneConcurrent'];
/**
 * One block of each arm per cycle, in two orders taken in turn. The heaviest moment for the
 * machine is the drain after a block delivered to 10 endpoints; the orders are chosen so that
 * each arm of the E2 pair follows such a drain in one cycle of two and a quiet block in the other.
 */
const CYCLES: readonly (readonly ArmName[])[] = [
  ['subscribed', 'none', 'subscribedConcurrent', 'noneConcurrent'],
  ['none', 'subscribed', 'noneConcurrent', 'subscribedConcurrent'],
];
const armOf = (block: number): ArmName => {
  const cycle = CYCLES[Math.floor(block / ARMS.length) % CYCLES.length] ?? ARMS;
  return cycle[block % ARMS.length] as ArmName;
};

export async function webhookFigures(
  options: { e1Samples?: number; e2Rounds?: number } = {},
): Promise<WebhookFigures> {
  const stack = await startBenchStack({
    TENANT_REGISTRY_LOG_LEVEL: 'WARN',
    TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true',
  });
  const receiver = await new WebhookReceiver().start();
  // The stream consumer as `npm start` runs it: DynamoDB Local's stream polled in process.
  const dataDir = mkdtempSync(join(tmpdir(), 'tr-bench-events-'));
  const publishing = await startEventPublishing(dataDir, stack.tableName);
  let publishingStopped = false;
  const server = await serve(stack.router, { port: 0 });
  const port = (server.address() as AddressInfo).port;
  const admin = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  const create = () =>
    call(port, 'POST', '/v1/tenants', admin, JSON.stringify({ slug: uniqueSlug('e'), name: 'bench' }));
  let pipeline: Pipeline | undefined;
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

    // E2: the delivery side moves to its own process, resuming the stream where E1 left it.
    await publishing.stop();
    publishingStopped = true;
    await (deliveryQueue() as InProcessDeliveryQueue).settled();
    pipeline = await Pipeline.start(dataDir, stack.tableName);
    const patchAll = async (body: Record<string, string>) => {
      for (const id of hooks) {
        const res = await stack.request('PATCH', `/v1/webhooks/${id}`, { body });
        if (res.status !== 200) throw new Error(`PATCH /v1/webhooks answered ${res.status} ${res.text}`);
      }
    };
    await patchAll({ url: pipeline.url });
    // What the request path asks of the table, counted in this process: the same with or
    // without subscriptions, or something in it reads them.
    let counting: Record<string, number> | undefined;
    liveMiddlewareStack(dynamodb()).add(
      (next, context) => (args) => {
        if (counting && context.commandName) {
          counting[context.commandName] = (counting[context.commandName] ?? 0) + 1;
        }
        return next(args);
      },
      { step: 'initialize', name: 'bench-count-calls' },
    );
    const rounds = options.e2Rounds ?? 200;
    const arms = Object.fromEntries(
      ARMS.map((name) => [
        name,
        { ms: [] as number[], delivered: 0, cpuMs: 0, calls: {} as Record<string, number> },
      ]),
    ) as Record<ArmName, { ms: number[]; delivered: number; cpuMs: number; calls: Record<string, number> }>;
    let current = 'enabled';
    for (let block = 0; ARMS.some((name) => arms[name].ms.length < rounds); block++) {
      const name = armOf(block);
      const arm = arms[name];
      const warmUp = block < ARMS.length * CYCLES.length;
      const status = name.startsWith('subscribed') ? 'enabled' : 'disabled';
      if (status !== current) await patchAll({ status });
      current = status;
      const before = await pipeline.drain();
      if (!name.endsWith('Concurrent')) await pipeline.pause();
      const ms: number[] = [];
      if (!warmUp) counting = arm.calls;
      for (let i = 0; i < 10; i++) {
        const res = await create();
        if (res.status !== 201) throw new Error(`POST /v1/tenants answered ${res.status}`);
        ms.push(res.ms);
      }
      counting = undefined;
      const after = await pipeline.drain();
      if (warmUp) continue;
      arm.ms.push(...ms);
      arm.delivered += after.received - before.received;
      arm.cpuMs += after.cpuMs - before.cpuMs;
    }
    dynamodb().middlewareStack.remove('bench-count-calls');
    const figure = (name: ArmName): E2Arm => {
      const arm = arms[name];
      return {
        p50Ms: percentile(arm.ms, 50),
        delivered: arm.delivered,
        pipelineCpuMs: arm.cpuMs / arm.ms.length,
        requestPathCalls: Object.fromEntries(
          Object.entries(arm.calls).map(([k, v]) => [k.replace(/Command$/, ''), v / arm.ms.length]),
        ),
      };
    };
    const pair = (subscribedArm: ArmName, noneArm: ArmName): E2Arms => {
      const subscribed = figure(subscribedArm);
      const none = figure(noneArm);
      return { subscribed, none, ratio: subscribed.p50Ms / none.p50Ms };
    };
    const load = loadavg()[0] ?? Number.NaN;
    return {
      e1,
      e2: {
        apart: pair('subscribed', 'none'),
        concurrent: pair('subscribedConcurrent', 'noneConcurrent'),
        rounds,
        load,
      },
    };
  } finally {
    server.close();
    await pipeline?.close();
    if (!publishingStopped) await publishing.stop();
    await receiver.close();
    await stack.close();
  }
}

/** The delivery side in its own process, driven by messages (bench/webhook-pipeline.ts). */
class Pipeline {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(dataDir: string, tableName: string): Promise<Pipeline> {
    const child = fork(new URL('./webhook-pipeline.ts', import.meta.url), [dataDir, tableName], {
      execArgv: ['--import', 'tsx'],
    });
    const ready = (await next(child, (m) => 'ready' in m)) as { ready: string };
    return new Pipeline(child, ready.ready);
  }

  /**
   * Resolves once everything committed is delivered, with the requests its receiver has had and
   * the CPU the process has used so far.
   */
  async drain(): Promise<{ received: number; cpuMs: number }> {
    const drained = next(this.child, (m) => 'drained' in m);
    this.child.send('drain');
    return ((await drained) as { drained: { received: number; cpuMs: number } }).drained;
  }

  /** Resolves once it has stopped polling and nothing it started is still running. */
  async pause(): Promise<void> {
    const paused = next(this.child, (m) => 'paused' in m);
    this.child.send('pause');
    await paused;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('exit');
    await exited;
  }
}

function next(child: ChildProcess, match: (message: Record<string, unknown>) => boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !match(message as Record<string, unknown>))
        return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the webhook pipeline process exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
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
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), E1_WAIT_MS).unref()),
    ]);
    if (arrived === undefined) {
      return {
        unavailable: `no delivery within ${E1_WAIT_MS / 1000} s of a commit: this build runs no stream consumer (wire the outbox half with webhookSink())`,
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
  const { apart, concurrent } = f.e2;
  console.log(
    `  E2 POST /v1/tenants p50 with 10 subscriptions ${fmt(apart.subscribed.p50Ms)} ms / none ${fmt(apart.none.p50Ms)} ms = ${fmt(apart.ratio, 3)} (goal <= ${E2_GOAL}; ${f.e2.rounds} each, alternating blocks of 10; the delivery side in its own process, paused during a block, drained after it: ${apart.subscribed.delivered} / ${apart.none.delivered} deliveries; load average ${fmt(f.e2.load)})`,
  );
  console.log(
    `     with the delivery side running during the blocks, on the same cores: ${fmt(concurrent.subscribed.p50Ms)} ms / ${fmt(concurrent.none.p50Ms)} ms = ${fmt(concurrent.ratio, 3)}; its CPU per POST ${fmt(concurrent.subscribed.pipelineCpuMs, 1)} ms / ${fmt(concurrent.none.pipelineCpuMs, 1)} ms`,
  );
  const calls = (c: Readonly<Record<string, number>>) =>
    Object.entries(c)
      .sort()
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ');
  console.log(
    `     DynamoDB calls per POST in the API process, with subscriptions / without: ${calls(apart.subscribed.requestPathCalls)} / ${calls(apart.none.requestPathCalls)}`,
  );
}
