import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { RegistryEvent } from '../../domain/events';
import { logger } from '../../observability/logger';
import type { EventSink } from '../../ports/event-sink';

/** The `source` of every event the registry puts on its bus. */
export const EVENT_SOURCE = 'tenant-registry';

/**
 * PutEvents limits (Amazon EventBridge API Reference, PutEvents: `Entries` holds 1 to 10 items;
 * "The maximum size for a PutEvents event entry is 256 KB"; the User Guide's "Calculating
 * PutEvents event entry size": the UTF-8 bytes of Source, DetailType, Detail and each of
 * Resources, plus 14 bytes for Time when given).
 */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_ENTRY_BYTES = 256 * 1024;

/** The entry's size as EventBridge counts it (no Time, no Resources: neither is sent). */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
}

export interface EventBridgeSinkOptions {
  readonly busName: string;
  /**
   * Retries of the entries a call did not take (throttled, internal errors) after the first
   * attempt, each after a full-jitter backoff of up to `retryBaseMs * 2^attempt`; then those
   * events are reported failed and the stream delivers them again.
   * @default 3
   */
  readonly retries?: number;
  /** @default 100 (the tests set it near 0) */
  readonly retryBaseMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Publishes events on the stage's bus (docs/events.md): `source` tenant-registry, `detail-type`
 * the event's type, `detail` the event itself, at most ten entries per call. An event too large
 * for one entry is reported failed at once (no retry can shrink it; it reaches the DLQ, where
 * the runbook picks it up), never cut down.
 */
export class EventBridgeSink implements EventSink {
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgeSinkOptions,
  ) {
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async publish(events: readonly RegistryEvent[]): Promise<{ readonly failedIds: readonly string[] }> {
    const failedIds: string[] = [];
    const sendable: { readonly id: string; readonly entry: PutEventsRequestEntry }[] = [];
    for (const event of events) {
      const entry: PutEventsRequestEntry = {
        EventBusName: this.options.busName,
        Source: EVENT_SOURCE,
        DetailType: event.type,
        Detail: JSON.stringify(event),
      };
      if (entrySize(entry) >= MAX_ENTRY_BYTES) {
        logger.error('event too large for EventBridge', {
          event: 'events.entry_too_large',
          event_id: event.id,
          type: event.type,
          bytes: entrySize(entry),
        });
        failedIds.push(event.id);
      } else sendable.push({ id: event.id, entry });
    }
    for (let i = 0; i < sendable.length; i += MAX_ENTRIES_PER_CALL) {
      failedIds.push(...(await this.putWithRetries(sendable.slice(i, i + MAX_ENTRIES_PER_CALL))));
    }
    return { failedIds };
  }

  /** One call's entries, the failed ones retried; returns the ids still failed at the end. */
  private async putWithRetries(
    batch: readonly { readonly id: string; readonly entry: PutEventsRequestEntry }[],
  ): Promise<string[]> {
    let pending = batch;
    for (let attempt = 0; ; attempt++) {
      let failed: typeof pending;
      let reason: string;
      try {
        const out = await this.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
        // The response lists one result per entry, in the request's order; a failed one has an ErrorCode.
        const results = out.Entries ?? [];
        failed = pending.filter((_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined);
        reason = [...new Set(results.flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))].join(',');
      } catch (error) {
        failed = pending;
        reason = error instanceof Error ? error.name : 'unknown';
      }
      if (failed.length === 0) return [];
      if (attempt >= this.retries) {
        logger.warn('events not put on the bus', {
          event: 'events.put_failed',
          failed: failed.length,
          reason,
          attempts: attempt + 1,
        });
        return failed.map((f) => f.id);
      }
      pending = failed;
      await this.sleep(this.random() * this.retryBaseMs * 2 ** attempt);
    }
  }
}
