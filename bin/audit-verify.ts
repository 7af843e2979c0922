/**
 * `npm run audit:verify -- <file>`: verifies an NDJSON audit export offline (no registry, no AWS)
 * with the registry's own hashing, and prints the first broken link or OK with counts. What a
 * file can and cannot prove: shared/domain/export-verify.ts and docs/api.md ("Export").
 * Exit codes: 0 the file verifies, 1 it does not (or is not an export), 2 usage.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type ExportBreak, type ExportVerdict, ExportVerifier } from '../shared/domain/export-verify';

export async function verifyFile(path: string): Promise<ExportVerdict | ExportBreak> {
  const verifier = new ExportVerifier();
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    const broken = verifier.line(line);
    if (broken) {
      lines.close();
      return broken;
    }
  }
  return verifier.finish();
}

export function report(result: ExportVerdict | ExportBreak): string[] {
  if (!result.ok) {
    const at =
      result.event_id === null ? `line ${result.line}` : `event ${result.event_id} (line ${result.line})`;
    return [
      `BROKEN at ${at}${result.chain ? `, chain ${result.chain}` : ''}: ${result.reason}`,
      ...(result.expected === undefined ? [] : [`  expected: ${result.expected}`]),
      ...(result.found === undefined ? [] : [`  found:    ${result.found}`]),
    ];
  }
  const out = [
    `OK: ${result.events} events in ${result.chains.length} chain(s), ${result.view} export; ` +
      `${result.hashes} hashes recomputed, ${result.links} links checked` +
      (result.contiguous
        ? ''
        : ' (filtered export: gaps between events are expected, links checked where they meet)'),
  ];
  if (result.redacted > 0) {
    out.push(
      `  ${result.redacted} events are redacted (the tenant's view withholds fields their hash covers): ` +
        'their links were checked, their hashes cannot be recomputed from this file. The operator export verifies them fully.',
    );
  }
  for (const c of result.chains) {
    out.push(
      `  chain ${c.chain}: ${c.events} events, ids ${c.first_id}..${c.last_id}, from ${c.starts}, last hash ${c.last_hash}`,
    );
  }
  out.push(
    '  A cut-off tail cannot show in the file: compare each last hash with GET /v1/audit/verify or the chain head.',
  );
  return out;
}

const isMain = process.argv[1]?.endsWith('audit-verify.ts') ?? false;
if (isMain) {
  const [path, ...extra] = process.argv.slice(2);
  if (path === undefined || extra.length > 0 || path.startsWith('-')) {
    console.error('usage: npm run audit:verify -- <export.ndjson>');
    process.exitCode = 2;
  } else {
    try {
      await access(path);
      const result = await verifyFile(path);
      for (const line of report(result)) (result.ok ? console.log : console.error)(line);
      process.exitCode = result.ok ? 0 : 1;
    } catch (error) {
      console.error(
        `npm run audit:verify: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
      process.exitCode = 2;
    }
  }
}
