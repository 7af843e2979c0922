import fc from 'fast-check';
import { type AuditEvent, type ChainHead, sealEvent, verifyChain } from '../../shared/domain/audit';
import { ChainWalker, expiryBoundary, GENESIS, retentionDays } from '../../shared/domain/audit-retention';

/** A chain of `n` events, a millisecond apart from 2025-01-01. */
function chain(n: number): { events: AuditEvent[]; head: ChainHead | undefined } {
  const events: AuditEvent[] = [];
  let head: ChainHead | undefined;
  for (let i = 0; i < n; i++) {
    const e = sealEvent({ action: `a.${i}`, metadata: { i } }, head, new Date(Date.UTC(2025, 0, 1) + i));
    events.push(e);
    head = { last_id: e.id, hash: e.hash };
  }
  return { events, head };
}

const anchor = (h: ChainHead | undefined) => (h ? { id: h.last_id, hash: h.hash } : undefined);

describe('ChainWalker', () => {
  test('walked in pieces, each going on from the last event of the one before, it agrees with verifyChain', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(39), { maxLength: 5 }), (n, cuts) => {
        const { events, head } = chain(n);
        const stops = [...new Set(cuts.filter((c) => c < n - 1))].sort((a, b) => a - b);
        let walker = new ChainWalker(GENESIS);
        let checked = 0;
        let from = 0;
        for (const stop of [...stops, n - 1]) {
          for (let i = from; i <= stop; i++) {
            const e = events[i] as AuditEvent;
            expect(walker.check(e, e.id)).toBeUndefined();
          }
          checked += walker.checked;
          // The next piece starts at the stored event it stopped at, checked again but not counted.
          const last = events[stop] as AuditEvent;
          const next = ChainWalker.at(last, last.id);
          expect(next).toBeInstanceOf(ChainWalker);
          walker = next as ChainWalker;
          from = stop + 1;
        }
        expect(walker.end(anchor(head))).toBeUndefined();
        expect(checked).toBe(verifyChain(events, head).checked);
      }),
    );
  });

  test('from a checkpoint: the next event must link to its hash, and its own event must be the one it names', () => {
    const { events, head } = chain(5);
    const cp = events[1] as AuditEvent;
    const checkpoint = { id: cp.id, hash: cp.hash, at: cp.created_at };
    const walker = new ChainWalker(checkpoint, checkpoint);
    for (const e of events.slice(2)) expect(walker.check(e, e.id)).toBeUndefined();
    expect(walker.end(anchor(head))).toBeUndefined();
    expect(walker.checked).toBe(3);

    const forged = { ...checkpoint, hash: 'f'.repeat(64) };
    expect(ChainWalker.at(cp, cp.id, forged)).toEqual({
      event_id: cp.id,
      reason: 'does not match the checkpoint',
    });
    const e2 = events[2] as AuditEvent;
    expect(new ChainWalker(forged, forged).check(e2, e2.id)).toEqual({
      event_id: e2.id,
      reason: 'broken link',
    });
    // A walk from before the checkpoint that skips its event: the checkpoint is not on the chain.
    const e0 = events[0] as AuditEvent;
    const e3 = events[3] as AuditEvent;
    const from0 = ChainWalker.at(e0, e0.id, checkpoint) as ChainWalker;
    expect(from0.check(e3, e3.id)).toEqual({ event_id: cp.id, reason: 'the checkpoint is not on the chain' });
  });

  test('remembers the newest checked event below the expiry boundary: where a checkpoint may move', () => {
    const { events } = chain(6);
    const boundary = (events[3] as AuditEvent).id;
    const walker = new ChainWalker(GENESIS, undefined, boundary);
    for (const e of events) walker.check(e, e.id);
    const e2 = events[2] as AuditEvent;
    expect(walker.newestExpiring).toEqual({ id: e2.id, hash: e2.hash, at: e2.created_at });
    expect(new ChainWalker(GENESIS).newestExpiring).toBeUndefined();
  });
});

describe('retention', () => {
  test("the tenant's days win over the stack's default; neither keeps forever", () => {
    expect(retentionDays(30, 365)).toBe(30);
    expect(retentionDays(undefined, 365)).toBe(365);
    expect(retentionDays(null, 90)).toBe(90);
    expect(retentionDays(undefined, undefined)).toBeUndefined();
  });

  test('the expiry boundary is the id of the moment `days` ago', () => {
    const now = new Date('2025-03-31T12:00:00.000Z');
    expect(expiryBoundary(now, 30)).toBe(Date.parse('2025-03-01T12:00:00.000Z') * 1000);
    expect(expiryBoundary(now, undefined)).toBeUndefined();
  });
});
