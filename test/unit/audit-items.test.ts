import fc from 'fast-check';
import {
  eventFromAttributes,
  eventFromItem,
  eventItem,
  type Outbox,
} from '../../shared/adapters/dynamodb/audited-writer';
import { fromItem, toItem } from '../../shared/adapters/dynamodb/items';
import type { AuditEvent } from '../../shared/domain/audit';
import { ORIGINS } from '../../shared/domain/audit-events';

/** Metadata as JSON text gives it back (no -0, no undefined): what a stored event can hold. */
const metadataArb = fc
  .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>);

const text = fc.string({ maxLength: 40 });

const eventArb: fc.Arbitrary<AuditEvent> = fc.record(
  {
    id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    created_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    action: fc.string({ minLength: 1, maxLength: 40 }),
    prev_hash: fc.stringMatching(/^[0-9a-f]{64}$/),
    hash: fc.stringMatching(/^[0-9a-f]{64}$/),
    tenant_id: fc.uuid(),
    project_id: text,
    actor_id: text,
    actor_name: text,
    actor_type: text,
    target_id: text,
    target_type: text,
    target_name: text,
    product: text,
    metadata: metadataArb,
    source_ip: text,
    user_agent: text,
    origin: fc.constantFrom(...ORIGINS),
    key_id: text,
    nonce: fc.stringMatching(/^[0-9a-f]{32}$/),
  },
  { requiredKeys: ['id', 'created_at', 'action', 'prev_hash', 'hash'] },
);

const outboxArb: fc.Arbitrary<Outbox | undefined> = fc.option(
  fc.record({ sequence: fc.nat(), data: metadataArb }),
  { nil: undefined },
);

describe('audit event items, read straight from attribute values', () => {
  test('give back the event as stored, exactly as the plain-value reader does', () => {
    fc.assert(
      fc.property(eventArb, outboxArb, (event, outbox) => {
        const item = toItem(eventItem(event.tenant_id ?? 'global', event, outbox));
        const read = eventFromAttributes(item);
        expect(read).toEqual(event);
        expect(read).toEqual(eventFromItem(fromItem(item)));
      }),
      { numRuns: 300 },
    );
  });

  test('leave out the storage, outbox and index attributes, and nothing else', () => {
    const event: AuditEvent = {
      id: 1_733_000_000_000_123,
      created_at: '2026-12-01T00:00:00.000Z',
      tenant_id: 'a1b2c3d4-0000-4000-8000-000000000001',
      product: 'billing',
      actor_id: 'ops-1',
      action: 'record.touched',
      origin: 'service',
      key_id: 'key-1',
      metadata: { nested: { list: [1, 'two', null] } },
      prev_hash: '0'.repeat(64),
      hash: 'f'.repeat(64),
    };
    const item = toItem({
      ...eventItem(event.tenant_id as string, event, { sequence: 7, data: { id: 'x' } }),
      expires_at: 1_800_000_000,
    });
    // The fixture holds every kind of attribute the reader must drop.
    expect(Object.keys(item)).toEqual(
      expect.arrayContaining([
        'PK',
        'SK',
        'entity',
        'chain',
        'sequence',
        'data',
        'expires_at',
        'GSI3PK',
        'GSI3SK',
      ]),
    );
    expect(eventFromAttributes(item)).toEqual(event);
    expect(Object.keys(eventFromAttributes(item)).sort()).toEqual(Object.keys(event).sort());
  });

  test('read an attribute stored as something other than text with AWS’s own conversion', () => {
    // Metadata kept as a map, not JSON text, and a number where text is usual.
    const item = toItem({
      PK: 'AUDIT#global',
      SK: 'EVENT#0000000000000001',
      id: 1,
      created_at: '2026-12-01T00:00:00.000Z',
      action: 'legacy.event',
      metadata: { kept: 'as a map', n: 2 },
      target_id: 42,
      prev_hash: '0'.repeat(64),
      hash: '1'.repeat(64),
    });
    const read = eventFromAttributes(item);
    expect(read).toEqual(eventFromItem(fromItem(item)));
    expect(read.metadata).toEqual({ kept: 'as a map', n: 2 });
    expect((read as unknown as { target_id: unknown }).target_id).toBe(42);
  });
});
