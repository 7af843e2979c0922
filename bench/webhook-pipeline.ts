import { join } from 'node:path';
import { EventBridgeStandIn } from '../bin/local/eventbridge-stand-in';
import { localStreamPoller } from '../bin/local/events';
import type { InProcessDeliveryQueue } from '../shared/adapters/memory/delivery-queue';
import { deliveryQueue, resetApp } from '../shared/app';
import { eventsConfig } from '../shared/config/env';
import { WebhookReceiver } from '../test/support/webhook-receiver';

/**
 * The delivery side of bench/webhooks.ts's E2 in a process of its own, as in AWS, where the
 * stream consumer, the dispatcher and the sender are Lambdas apart from the API's and the
 * receiver is someone else's server: the table's stream polled every `streamPollMs` (as
 * `npm start` does), events put to an EventBridge stand-in and fanned out to deliveries, each
 * signed and sent to a receiver on 127.0.0.1 that lives here too. Configured by the environment
 * it inherits (table, endpoints); resumes from the stream checkpoints in `<dataDir>`.
 *
 * Sends `{ready: <receiver url>}` once listening. `drain` (polling again if paused) is answered
 * `{drained: {received, cpuMs}}` (requests received and CPU used so far) once a poll found the
 * stream read to its end and every delivery handed to the sender has been sent; `pause` stops
 * polling and is answered `{paused: ...}` once nothing is left running; `exit` stops and exits.
 */

const [dataDir, tableName] = process.argv.slice(2);
if (!dataDir || !tableName) throw new Error('usage: webhook-pipeline <dataDir> <tableName>');

const receiver = await new WebhookReceiver().start();
const bus = await EventBridgeStandIn.start({ file: join(dataDir, 'eventbridge-pipeline.json') });
process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
const config = eventsConfig();
const { db, streams, poller } = localStreamPoller(tableName, dataDir, config.streamPollMs);
// As the local server does: the in-process delivery queue is reached through resetApp only.
resetApp();
const queue = deliveryQueue() as InProcessDeliveryQueue;

let running = true;
let paused = false;
/** Waiting for a poll that found nothing new and every delivery sent. */
let drains: (() => void)[] = [];
/** Waiting for the poll under way (if any) to end and every delivery to be sent. */
let pauses: (() => void)[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const usage = () => {
  const cpu = process.cpuUsage();
  return { received: receiver.received.length, cpuMs: (cpu.user + cpu.system) / 1000 };
};
const loop = (async () => {
  while (running) {
    if (paused) {
      await queue.settled();
      for (const done of pauses.splice(0)) done();
      await sleep(10);
      continue;
    }
    const read = await poller.pollOnce().catch(() => -1);
    if (read === 0 && drains.length > 0) {
      await queue.settled();
      for (const done of drains.splice(0)) done();
    }
    await sleep(config.streamPollMs);
  }
})();

process.send?.({ ready: receiver.url });
process.on('message', async (message) => {
  if (message === 'drain') {
    paused = false;
    await new Promise<void>((resolve) => drains.push(resolve));
    process.send?.({ drained: usage() });
  }
  if (message === 'pause') {
    paused = true;
    await new Promise<void>((resolve) => pauses.push(resolve));
    process.send?.({ paused: usage() });
  }
  if (message === 'exit') {
    running = false;
    await loop;
    drains = [];
    pauses = [];
    db.destroy();
    streams.destroy();
    await bus.close();
    await receiver.close();
    process.exit(0);
  }
});
