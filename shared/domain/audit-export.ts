import type { AuditEvent } from './audit';
import type { TenantAuditEvent } from './audit-projection';

/**
 * The audit export's file formats. An export is every event that matches a listing's filters,
 * oldest first, written as it is read: the generators below take the store's pages and hold
 * one page at a time, written in chunks of about 16 KiB (`EXPORT_CHUNK_CHARS`).
 *
 * NDJSON (`application/x-ndjson`) is the verifiable form. Its first line is a header,
 * `{"export": ExportHeader}`, never an event (events have no `export` field); every other line
 * is one event exactly as the view shows it (operators: as stored, `nonce` included, so every
 * hash can be recomputed). The header says what an offline verifier needs to know to judge the
 * file without the registry: whose view it is, whether each chain in it is contiguous, and where
 * each chain starts (genesis, a time, or a checkpoint).
 *
 * CSV (`text/csv`, RFC 4180) is for people and spreadsheets: a header row, a fixed column set per
 * view (never data dependent), CRLF line ends, a field quoted when it holds `,`, `"`, CR or LF
 * (quotes doubled), `metadata` as JSON. It carries no export header and is not meant to verify.
 */

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type ExportView = 'operator' | 'tenant';

/** The first NDJSON line of an export: what the file holds (bump `version` on a change). */
export interface ExportHeader {
  readonly version: 1;
  /** `operator`: events as stored. `tenant`: the tenant projection (audit-projection.ts). */
  readonly view: ExportView;
  readonly exported_at: string;
  /** The filters as asked (`since`/`until` as RFC 3339 times): what selected the events. */
  readonly filters: Readonly<Record<string, string>>;
  /**
   * True when the events of each chain in the file are consecutive links of that chain (only
   * `tenant_id`, `since` and `until` filter): then every link between two of them must hold.
   * False when other filters leave gaps: each event's own hash still verifies.
   */
  readonly contiguous: boolean;
  /**
   * Where each chain of the file starts when not at its genesis: the checkpoint an export
   * starts from once retention has expired a chain's start (null: the file starts at genesis
   * unless `since` is set, and then at its first event's `prev_hash`). Kept in the header so a
   * verifier can anchor the first link without the events before it.
   */
  readonly from_checkpoint: { readonly id: number; readonly hash: string; readonly at: string } | null;
}

/** Filters that select whole ranges of a chain: an export filtered by these alone is contiguous. */
const RANGE_FILTERS: ReadonlySet<string> = new Set(['tenant_id', 'since', 'until']);

export function isContiguous(filters: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(filters).every(([name, value]) => value === undefined || RANGE_FILTERS.has(name));
}

/**
 * Characters per chunk of an export body, about the 16 KiB of a Node.js socket's high-water mark.
 * A whole page joined into one string (500 events: 150 KB and more) is a large object to V8,
 * allocated where only a full collection frees it, so a long export piled up the garbage of its
 * pages until one ran (figure X1 measured the server's peak RSS growing with the export's length:
 * 16.8 MB at 100,000 events, 2.1 MB in chunks of this size); a chunk this size dies young.
 */
export const EXPORT_CHUNK_CHARS = 16_384;

/**
 * Lines of each page, a chunk each time `EXPORT_CHUNK_CHARS` is reached and at the end of the
 * page (a page's events go out before the next page is read).
 */
async function* chunked<E>(
  pages: AsyncIterable<readonly E[]>,
  line: (event: E) => string,
): AsyncGenerator<string> {
  for await (const page of pages) {
    let chunk = '';
    for (const event of page) {
      chunk += line(event);
      if (chunk.length >= EXPORT_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
}

/**
 * The NDJSON body: the header line as its own chunk (the first byte goes out before any page is
 * read), then the events, one line each, in chunks of about `EXPORT_CHUNK_CHARS`, none spanning
 * two pages.
 */
export async function* ndjsonLines(
  header: ExportHeader,
  pages: AsyncIterable<readonly (AuditEvent | TenantAuditEvent)[]>,
): AsyncGenerator<string> {
  yield `${JSON.stringify({ export: header })}\n`;
  yield* chunked(pages, (event) => `${JSON.stringify(event)}\n`);
}

/** CSV columns: the envelope in a fixed order, request context, metadata, then the chain. */
const COMMON_COLUMNS = [
  'id',
  'created_at',
  'tenant_id',
  'project_id',
  'actor_id',
  'actor_name',
  'actor_type',
  'action',
  'target_id',
  'target_type',
  'target_name',
  'product',
  'origin',
  'key_id',
  'source_ip',
  'user_agent',
  'metadata',
] as const;
export const CSV_COLUMNS: { readonly [V in ExportView]: readonly string[] } = {
  operator: [...COMMON_COLUMNS, 'nonce', 'prev_hash', 'hash'],
  tenant: [...COMMON_COLUMNS, 'redacted', 'prev_hash', 'hash'],
};

/** One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV body: the header row, then one row per event (absent fields are empty), in chunks as
 * NDJSON's.
 */
export async function* csvRows(
  view: ExportView,
  pages: AsyncIterable<readonly (AuditEvent | TenantAuditEvent)[]>,
): AsyncGenerator<string> {
  const columns = CSV_COLUMNS[view];
  yield `${columns.join(',')}\r\n`;
  yield* chunked(pages, (event) => {
    const fields = event as unknown as Record<string, unknown>;
    return `${columns.map((c) => csvField(fields[c])).join(',')}\r\n`;
  });
}

export const EXPORT_CONTENT_TYPES: { readonly [F in ExportFormat]: string } = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** `audit-<tenant id or all>-<yyyymmddThhmmssZ>.<format>`: safe in a header, unique enough per run. */
export function exportFilename(tenantId: string | undefined, at: Date, format: ExportFormat): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `audit-${tenantId ?? 'all'}-${stamp}.${format}`;
}
