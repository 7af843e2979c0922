import { type AuditEvent, GENESIS_HASH, hashEvent } from './audit';
import { type ExportHeader, isContiguous } from './audit-export';

/**
 * Offline verification of an NDJSON export (audit-export.ts), line by line, holding one summary
 * per chain (never the events): the same hashing as the registry (`hashEvent`), chain by chain
 * (`tenant_id`, or the global chain), oldest first.
 *
 * What a file can prove on its own:
 * - every event whose hash is recomputable: operator exports always; tenant exports except
 *   events marked `redacted: true` (the tenant projection withholds fields their hash covers,
 *   the nonce among them: only the operator export verifies those fully);
 * - every link between two events of a chain when the export is contiguous (filtered by tenant
 *   and time only): a changed, deleted, inserted or moved event breaks one. Other filters leave
 *   gaps on purpose, so a link there is checked only where it holds;
 * - the chain's start: genesis (no `since`, no checkpoint), or the checkpoint the header names.
 *
 * What it cannot: that nothing was cut off the end (compare each chain's last hash with the
 * registry's head: `GET /v1/audit/verify`), nor that a whole chain was rewritten consistently
 * (the hashes are not keyed: the head, a checkpoint or an earlier copy is the anchor).
 */

export interface ChainSummary {
  readonly chain: string;
  readonly events: number;
  readonly first_id: number;
  readonly last_id: number;
  readonly last_hash: string;
  /** `genesis`, `checkpoint`, or `since` (the first event's `prev_hash` is taken as the anchor). */
  readonly starts: 'genesis' | 'checkpoint' | 'since';
}

export interface ExportBreak {
  readonly ok: false;
  readonly line: number;
  readonly event_id: number | null;
  readonly chain?: string;
  readonly reason: string;
  readonly expected?: string;
  readonly found?: string;
}

export interface ExportVerdict {
  readonly ok: true;
  readonly view: ExportHeader['view'];
  readonly contiguous: boolean;
  readonly events: number;
  /** Events whose hash was recomputed and matched. */
  readonly hashes: number;
  /** Tenant exports: events whose hash covers withheld fields (links checked, hash not). */
  readonly redacted: number;
  /** Links between two events of the file that were checked and hold. */
  readonly links: number;
  readonly chains: readonly ChainSummary[];
}

interface ChainState {
  events: number;
  first_id: number;
  last_id: number;
  last_hash: string;
  starts: ChainSummary['starts'];
}

const HASH = /^[0-9a-f]{64}$/;

export class ExportVerifier {
  private header: ExportHeader | undefined;
  private lineNo = 0;
  private events = 0;
  private hashes = 0;
  private redacted = 0;
  private links = 0;
  private readonly chains = new Map<string, ChainState>();

  /** Feeds one line; the first break found is returned (then stop feeding). */
  line(text: string): ExportBreak | undefined {
    this.lineNo++;
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.fail(null, 'not a JSON line');
    }
    if (!this.header) return this.readHeader(value);
    return this.event(value);
  }

  /** After the last line: the verdict, or why the file is not an export. */
  finish(): ExportVerdict | ExportBreak {
    if (!this.header) return this.fail(null, 'empty file: no export header');
    return {
      ok: true,
      view: this.header.view,
      contiguous: this.header.contiguous,
      events: this.events,
      hashes: this.hashes,
      redacted: this.redacted,
      links: this.links,
      chains: [...this.chains.entries()].map(([chain, s]) => ({ chain, ...s })),
    };
  }

  private readHeader(value: unknown): ExportBreak | undefined {
    const header = (value as { export?: ExportHeader } | null)?.export;
    if (
      typeof header !== 'object' ||
      header === null ||
      header.version !== 1 ||
      (header.view !== 'operator' && header.view !== 'tenant') ||
      typeof header.contiguous !== 'boolean' ||
      typeof header.filters !== 'object'
    ) {
      return this.fail(null, 'the first line is not an export header ({"export": {"version": 1, ...}})');
    }
    // Whether gaps are allowed follows from the filters, not from a flag a file could flip.
    this.header = { ...header, contiguous: isContiguous(header.filters) };
    return undefined;
  }

  private event(value: unknown): ExportBreak | undefined {
    const header = this.header as ExportHeader;
    const event = value as Partial<AuditEvent> & { redacted?: unknown };
    const id = typeof event?.id === 'number' && Number.isSafeInteger(event.id) ? event.id : null;
    if (
      id === null ||
      typeof event.prev_hash !== 'string' ||
      typeof event.hash !== 'string' ||
      !HASH.test(event.hash)
    ) {
      return this.fail(id, 'not an audit event (id, prev_hash and hash are required)');
    }
    const chain = event.tenant_id ?? 'global';
    const only = header.filters.tenant_id;
    if (only !== undefined && event.tenant_id !== only) {
      return this.fail(id, `an event of another chain (${chain}) in an export of ${only}`, chain);
    }
    const state = this.chains.get(chain);
    if (state && id <= state.last_id) {
      return this.fail(id, `out of order: after event ${state.last_id}`, chain);
    }

    if (event.redacted === true) {
      this.redacted++;
    } else {
      const { hash, ...rest } = event as AuditEvent;
      const recomputed = hashEvent(rest);
      if (recomputed !== hash) {
        return this.fail(id, 'altered event: its hash does not match its content', chain, recomputed, hash);
      }
      this.hashes++;
    }

    if (state) {
      if (event.prev_hash === state.last_hash) this.links++;
      else if (header.contiguous) {
        return this.fail(
          id,
          `broken link: prev_hash is not the hash of event ${state.last_id}`,
          chain,
          state.last_hash,
          event.prev_hash,
        );
      }
    } else {
      const anchor =
        header.from_checkpoint?.hash ?? (header.filters.since === undefined ? GENESIS_HASH : null);
      if (header.contiguous && anchor !== null && event.prev_hash !== anchor) {
        return this.fail(
          id,
          header.from_checkpoint
            ? `broken link: the chain does not continue from checkpoint ${header.from_checkpoint.id}`
            : 'broken link: the first event of the chain in this file does not open it (genesis)',
          chain,
          anchor,
          event.prev_hash,
        );
      }
    }
    this.events++;
    this.chains.set(chain, {
      events: (state?.events ?? 0) + 1,
      first_id: state?.first_id ?? id,
      last_id: id,
      last_hash: event.hash,
      starts:
        state?.starts ??
        (header.from_checkpoint ? 'checkpoint' : header.filters.since === undefined ? 'genesis' : 'since'),
    });
    return undefined;
  }

  private fail(
    event_id: number | null,
    reason: string,
    chain?: string,
    expected?: string,
    found?: string,
  ): ExportBreak {
    return {
      ok: false,
      line: this.lineNo,
      event_id,
      ...(chain === undefined ? {} : { chain }),
      reason,
      ...(expected === undefined ? {} : { expected }),
      ...(found === undefined ? {} : { found }),
    };
  }
}
