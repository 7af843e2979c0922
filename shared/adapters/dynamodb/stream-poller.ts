import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { EventStreamConsumer } from '../../services/event-stream';
import { outboxRecord, type RawStreamRecord } from './stream-records';

/**
 * Where a poller has got to in each shard: the sequence number of the last record every sink
 * took. Saved after a batch is published, so a poller that dies between the two publishes that
 * batch again (a duplicate with the same id), never skips it.
 */
export interface StreamCheckpoints {
  get(shardId: string): Promise<string | undefined>;
  set(shardId: string, sequenceNumber: string): Promise<void>;
}

export class MemoryCheckpoints implements StreamCheckpoints {
  readonly positions = new Map<string, string>();
  async get(shardId: string) {
    return this.positions.get(shardId);
  }
  async set(shardId: string, sequenceNumber: string) {
    this.positions.set(shardId, sequenceNumber);
  }
}

interface ShardState {
  iterator?: string;
  /** The shard is closed and read to its end. */
  done: boolean;
}

/**
 * The Lambda event source mapping, in process, for local mode and the tests: reads the table's
 * stream (DynamoDB Local implements DynamoDB Streams), hands each batch to the same
 * `EventStreamConsumer`, and checkpoints per shard. Records a sink failed are read again from the
 * first of them on the next poll (at least once), as the mapping does with partial batch responses.
 * A child shard is read once its parent is finished, so a chain's order holds across shards.
 */
export class StreamPoller {
  private readonly shards = new Map<string, ShardState>();
  private streamArn: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly streams: DynamoDBStreamsClient,
    private readonly tableName: string,
    private readonly consumer: EventStreamConsumer,
    private readonly checkpoints: StreamCheckpoints,
    private readonly options: { readonly intervalMs: number; readonly onError?: (error: unknown) => void },
  ) {}

  /** Reads every shard once, publishing what it finds; returns the number of records read. */
  async pollOnce(): Promise<number> {
    this.streamArn ??= (
      await this.db.send(new DescribeTableCommand({ TableName: this.tableName }))
    ).Table?.LatestStreamArn;
    const streamArn = this.streamArn;
    if (!streamArn) throw new Error(`table ${this.tableName} has no stream`);
    const shards = await this.listShards(streamArn);
    let read = 0;
    for (const shard of shards) {
      const id = shard.ShardId;
      if (!id) continue;
      const state = this.shards.get(id) ?? { done: false };
      this.shards.set(id, state);
      if (state.done) continue;
      const parent = shard.ParentShardId ? this.shards.get(shard.ParentShardId) : undefined;
      if (parent && !parent.done) continue;
      read += await this.readShard(streamArn, id, state);
    }
    return read;
  }

  /** Polls every `intervalMs` until `stop()`. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pollOnce()
        .catch((error) => this.options.onError?.(error))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async listShards(streamArn: string): Promise<Shard[]> {
    const out: Shard[] = [];
    let start: string | undefined;
    do {
      const page = await this.streams.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(start ? { ExclusiveStartShardId: start } : {}),
        }),
      );
      out.push(...(page.StreamDescription?.Shards ?? []));
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return out;
  }

  private async iteratorFor(streamArn: string, shardId: string): Promise<string | undefined> {
    const after = await this.checkpoints.get(shardId);
    const out = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  /** Reads a shard until it has nothing new (or a sink failed); returns the records read. */
  private async readShard(streamArn: string, shardId: string, state: ShardState): Promise<number> {
    let read = 0;
    for (;;) {
      state.iterator ??= await this.iteratorFor(streamArn, shardId);
      if (!state.iterator) {
        state.done = true;
        return read;
      }
      const page = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: state.iterator, Limit: 100 }),
      );
      const raw = (page.Records ?? []) as RawStreamRecord[];
      read += raw.length;
      const records = raw.flatMap((r) => {
        const record = outboxRecord(r);
        return record ? [record] : [];
      });
      const { batchItemFailures } = await this.consumer.consume(records);
      if (batchItemFailures.length > 0) {
        // Checkpoint up to the record before the first failure; read on from there next poll.
        const first = batchItemFailures[0]?.itemIdentifier;
        const index = records.findIndex((r) => r.sequenceNumber === first);
        const before = index > 0 ? records[index - 1]?.sequenceNumber : undefined;
        if (before) await this.checkpoints.set(shardId, before);
        state.iterator = undefined;
        return read;
      }
      const last = records.at(-1)?.sequenceNumber;
      if (last) await this.checkpoints.set(shardId, last);
      state.iterator = page.NextShardIterator;
      if (!state.iterator) {
        state.done = true;
        return read;
      }
      if (raw.length === 0) return read;
    }
  }
}
