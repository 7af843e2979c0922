import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { awsClient } from '../../shared/adapters/aws-clients';
import { type StreamCheckpoints, StreamPoller } from '../../shared/adapters/dynamodb/stream-poller';
import { eventsConfig } from '../../shared/config/env';
import { eventSinks, resetEventSinks } from '../../shared/event-sinks';
import { logger } from '../../shared/observability/logger';
import { EventStreamConsumer } from '../../shared/services/event-stream';
import { EventBridgeStandIn } from './eventbridge-stand-in';

/** Checkpoints in `<data>/stream-checkpoints.json`: a restarted server resumes where it stopped. */
class FileCheckpoints implements StreamCheckpoints {
  private readonly positions: Record<string, string>;
  constructor(private readonly file: string) {
    this.positions = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
      : {};
  }
  async get(shardId: string) {
    return this.positions[shardId];
  }
  async set(shardId: string, sequenceNumber: string) {
    this.positions[shardId] = sequenceNumber;
    writeFileSync(this.file, JSON.stringify(this.positions));
  }
}

/**
 * The table's stream polled every `intervalMs` into the event sinks (EventBridge, webhooks), its
 * position kept in `<dataDir>/stream-checkpoints.json`; clients from the environment. Not started.
 */
export function localStreamPoller(
  tableName: string,
  dataDir: string,
  intervalMs: number,
  onError?: (error: unknown) => void,
) {
  const db = awsClient(DynamoDBClient, {});
  const streams = awsClient(DynamoDBStreamsClient, {});
  const poller = new StreamPoller(
    db,
    streams,
    tableName,
    new EventStreamConsumer(eventSinks(eventsConfig())),
    new FileCheckpoints(join(dataDir, 'stream-checkpoints.json')),
    { intervalMs, ...(onError ? { onError } : {}) },
  );
  return { db, streams, poller };
}

/**
 * Local mode's half of the event pipeline (docs/events.md): EventBridge at
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` when set, else the embedded stand-in (`<data>/eventbridge.json`);
 * the table's stream polled in process every `TENANT_REGISTRY_STREAM_POLL_MS` (250 ms) through
 * the same consumer and the same `eventSinks` as the Lambda. Returns its stop and a banner line.
 */
export async function startEventPublishing(
  dataDir: string,
  tableName: string,
): Promise<{ stop: () => Promise<void>; note: string }> {
  const env = process.env;
  const stops: (() => Promise<void>)[] = [];
  let where: string;
  if (env.AWS_ENDPOINT_URL_EVENTBRIDGE) {
    where = env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  } else {
    const standIn = await EventBridgeStandIn.start({ file: join(dataDir, 'eventbridge.json') });
    stops.push(() => standIn.close());
    env.AWS_ENDPOINT_URL_EVENTBRIDGE = standIn.url;
    where = `the embedded stand-in (${standIn.url}, data/eventbridge.json)`;
  }
  env.TENANT_REGISTRY_EVENT_BUS_NAME ||= 'tenant-registry-local';
  // DynamoDB Local serves its streams on its own endpoint.
  env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS ||= env.AWS_ENDPOINT_URL_DYNAMODB;
  const config = eventsConfig();
  resetEventSinks();
  const { db, streams, poller } = localStreamPoller(tableName, dataDir, config.streamPollMs, (error) =>
    logger.warn('stream poll failed', {
      event: 'events.poll_failed',
      error: error instanceof Error ? error.name : 'unknown',
    }),
  );
  poller.start();
  return {
    stop: async () => {
      await poller.stop();
      db.destroy();
      streams.destroy();
      resetEventSinks();
      for (const s of stops.reverse()) await s();
    },
    note: `Events: bus ${config.busName} at ${where}, stream polled every ${config.streamPollMs} ms`,
  };
}
