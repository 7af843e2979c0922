import { eventFromOutboxItem, type RegistryEvent } from '../../shared/domain/events';
import type { EventSink } from '../../shared/ports/event-sink';
import { EventStreamConsumer, type OutboxRecord } from '../../shared/services/event-stream';

const TENANT = '00000000-0000-4000-8000-000000000001';

function item(id: number, sequence: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    PK: `AUDIT#${TENANT}`,
    SK: `EVENT#${String(id).padStart(16, '0')}`,
    entity: 'audit_event',
    chain: TENANT,
    id,
    action: 'tenant.updated',
    created_at: '2025-06-01T08:00:00.000Z',
    tenant_id: TENANT,
    hash: 'a'.repeat(64),
    prev_hash: 'b'.repeat(64),
    sequence,
    data: JSON.stringify({ id: TENANT, slug: 'acme' }),
    ...extra,
  };
}

const record = (
  seq: string,
  image: Record<string, unknown> | undefined,
  eventName = 'INSERT',
): OutboxRecord => ({
  sequenceNumber: seq,
  eventName,
  ...(image ? { newImage: image } : {}),
});

class RecordingSink implements EventSink {
  readonly batches: RegistryEvent[][] = [];
  constructor(private readonly fail: (e: RegistryEvent) => boolean = () => false) {}
  async publish(events: readonly RegistryEvent[]) {
    this.batches.push([...events]);
    return { failedIds: events.filter(this.fail).map((e) => e.id) };
  }
}

describe('eventFromOutboxItem', () => {
  it('maps an outbox item to the envelope: id as text, action as type, data parsed', () => {
    expect(eventFromOutboxItem(item(1748764800000001, 7))).toEqual({
      id: '1748764800000001',
      type: 'tenant.updated',
      created_at: '2025-06-01T08:00:00.000Z',
      tenant_id: TENANT,
      sequence: 7,
      data: { id: TENANT, slug: 'acme' },
    });
  });

  it('a global event has no tenant_id', () => {
    const { tenant_id: _t, ...global } = item(5, 1, { chain: 'global' });
    expect(eventFromOutboxItem(global)).not.toHaveProperty('tenant_id');
  });

  it.each([
    ['another entity', { entity: 'tenant' }],
    ['an event from before the outbox (no sequence)', { sequence: undefined }],
    ['no data', { data: undefined }],
    ['a sequence below 1', { sequence: 0 }],
    ['data that is not an object', { data: '[1]' }],
  ])('%s is not an event', (_name, extra) => {
    expect(eventFromOutboxItem(item(1, 1, extra))).toBeUndefined();
  });
});

describe('EventStreamConsumer', () => {
  it('hands every event to every sink, in stream order, and reports nothing when all succeed', async () => {
    const a = new RecordingSink();
    const b = new RecordingSink();
    const out = await new EventStreamConsumer([a, b]).consume([
      record('100', item(1, 1)),
      record('101', item(2, 2)),
    ]);
    expect(out).toEqual({ batchItemFailures: [], published: 2, skipped: 0 });
    expect(a.batches.map((batch) => batch.map((e) => e.sequence))).toEqual([[1, 2]]);
    expect(b.batches).toEqual(a.batches);
  });

  it('reports the stream sequence number of each event any sink failed', async () => {
    const ok = new RecordingSink();
    const failing = new RecordingSink((e) => e.id === '2');
    const out = await new EventStreamConsumer([ok, failing]).consume([
      record('100', item(1, 1)),
      record('101', item(2, 2)),
      record('102', item(3, 3)),
    ]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
  });

  it('a sink that throws fails every event of the batch', async () => {
    const throwing: EventSink = {
      publish: async () => {
        throw new Error('network');
      },
    };
    const out = await new EventStreamConsumer([new RecordingSink(), throwing]).consume([
      record('100', item(1, 1)),
      record('101', item(2, 2)),
    ]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '100' }, { itemIdentifier: '101' }]);
  });

  it('skips records that hold no outbox event, without calling the sinks or failing them', async () => {
    const sink = new RecordingSink();
    const out = await new EventStreamConsumer([sink]).consume([
      record('100', { entity: 'tenant', id: TENANT }),
      record('101', item(1, 1), 'MODIFY'),
      record('102', undefined),
    ]);
    expect(out).toEqual({ batchItemFailures: [], published: 0, skipped: 3 });
    expect(sink.batches).toEqual([]);
  });

  it('skips every other item the table holds today, the verifier TTL stamp, a TTL delete and webhook.test', async () => {
    // Written out, not read from the code: a new entity must be added here on purpose.
    const others = [
      'api_key',
      'audit_checkpoint',
      'audit_head',
      'audit_id',
      'audit_verifier_run',
      'audit_verify_progress',
      'catalog_entry',
      'entitlement',
      'idempotency',
      'slug',
      'tenant',
      'trial_marker',
      'webhook',
      'webhook_delivery',
      'webhook_secrets',
    ];
    const sink = new RecordingSink();
    const out = await new EventStreamConsumer([sink]).consume([
      // Even shaped like an event (sequence, data), another entity is no event.
      ...others.map((entity, i) => record(String(200 + i), item(1, 1, { entity }))),
      // The audit verifier stamps `expires_at` on events behind its checkpoint (an update).
      record('300', item(2, 2, { expires_at: 1_900_000_000 }), 'MODIFY'),
      // TTL deletes them later: no new image.
      record('301', undefined, 'REMOVE'),
      // webhook.test is audited without outbox attributes (docs/events.md).
      record('302', item(3, 3, { action: 'webhook.test', sequence: undefined, data: undefined })),
    ]);
    expect(out).toEqual({ batchItemFailures: [], published: 0, skipped: others.length + 3 });
    expect(sink.batches).toEqual([]);
  });
});
