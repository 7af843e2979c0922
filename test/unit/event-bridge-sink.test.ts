import type { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from '../../shared/adapters/eventbridge/event-bridge-sink';
import type { RegistryEvent } from '../../shared/domain/events';

const event = (n: number, data: Record<string, unknown> = { n }): RegistryEvent => ({
  id: String(1_000 + n),
  type: 'tenant.updated',
  created_at: '2025-06-01T08:00:00.000Z',
  tenant_id: '00000000-0000-4000-8000-000000000001',
  sequence: n,
  data,
});

/** A PutEvents stand-in: records every call; `fail` decides per entry and attempt. */
function fakeClient(
  fail: (entry: PutEventsRequestEntry, call: number) => string | undefined = () => undefined,
) {
  const calls: PutEventsRequestEntry[][] = [];
  const client = {
    send: async (command: PutEventsCommand) => {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const call = calls.length;
      return {
        FailedEntryCount: 0,
        Entries: entries.map((e) => {
          const code = fail(e, call);
          return code ? { ErrorCode: code, ErrorMessage: 'no' } : { EventId: `eb-${call}` };
        }),
      };
    },
  } as unknown as EventBridgeClient;
  return { client, calls };
}

function sink(client: EventBridgeClient, sleeps: number[] = []) {
  return new EventBridgeSink(client, {
    busName: 'tenant-registry-test',
    retries: 3,
    retryBaseMs: 100,
    random: () => 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

const idOf = (entry: PutEventsRequestEntry) => (JSON.parse(entry.Detail ?? '{}') as RegistryEvent).id;

describe('EventBridgeSink', () => {
  it('puts each event on the stage bus: source tenant-registry, detail-type its type, detail the event', async () => {
    const { client, calls } = fakeClient();
    const out = await sink(client).publish([event(1)]);
    expect(out).toEqual({ failedIds: [] });
    expect(calls).toEqual([
      [
        {
          EventBusName: 'tenant-registry-test',
          Source: 'tenant-registry',
          DetailType: 'tenant.updated',
          Detail: JSON.stringify(event(1)),
        },
      ],
    ]);
  });

  it('sends at most ten entries per call, in order', async () => {
    const { client, calls } = fakeClient();
    await sink(client).publish(Array.from({ length: 23 }, (_, i) => event(i + 1)));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls.flat().map(idOf)).toEqual(Array.from({ length: 23 }, (_, i) => String(1_001 + i)));
  });

  it('retries only the entries that failed, with a growing jittered backoff, until they succeed', async () => {
    const sleeps: number[] = [];
    const { client, calls } = fakeClient((e, call) =>
      idOf(e) === '1002' && call < 3 ? 'ThrottlingException' : undefined,
    );
    const out = await sink(client, sleeps).publish([event(1), event(2), event(3)]);
    expect(out).toEqual({ failedIds: [] });
    expect(calls.map((c) => c.map(idOf))).toEqual([['1001', '1002', '1003'], ['1002'], ['1002']]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('reports an entry failed after the first attempt and three retries', async () => {
    const sleeps: number[] = [];
    const { client, calls } = fakeClient((e) => (idOf(e) === '1001' ? 'InternalFailure' : undefined));
    const out = await sink(client, sleeps).publish([event(1), event(2)]);
    expect(out).toEqual({ failedIds: ['1001'] });
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('a call that throws is retried whole, then its entries are reported failed', async () => {
    const client = {
      send: async () => {
        throw Object.assign(new Error('down'), { name: 'ServiceUnavailable' });
      },
    } as unknown as EventBridgeClient;
    expect(await sink(client).publish([event(1), event(2)])).toEqual({ failedIds: ['1001', '1002'] });
  });

  it('an event above 256 KB is reported failed without a call; the rest are sent', async () => {
    const { client, calls } = fakeClient();
    const big = event(1, { blob: 'x'.repeat(256 * 1024) });
    const out = await sink(client).publish([big, event(2)]);
    expect(out).toEqual({ failedIds: ['1001'] });
    expect(calls.flat().map(idOf)).toEqual(['1002']);
  });

  it('an event just under 256 KB is sent', async () => {
    const { client, calls } = fakeClient();
    const envelope = JSON.stringify(event(1, { blob: '' }));
    const room = 256 * 1024 - 1 - envelope.length - 'tenant-registry'.length - 'tenant.updated'.length;
    const out = await sink(client).publish([event(1, { blob: 'x'.repeat(room) })]);
    expect(out).toEqual({ failedIds: [] });
    expect(calls).toHaveLength(1);
  });
});
