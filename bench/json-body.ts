/**
 * J1: what the strict JSON check of request bodies costs (`parseStrictJson`: JSON.parse plus a
 * scan for repeated keys and NUL) over `JSON.parse` alone, on bodies of about 1 MB (16 times
 * the default body limit), interleaved in one run so machine load cancels out. Median of the
 * per-round ratios. `npx tsx bench/json-body.ts`
 */
import { parseStrictJson } from '../shared/http/json-body';

const ROUNDS = 15;
const PER_ROUND = 10;

const bodies: Record<string, string> = {
  // Many small objects: a key set per object.
  nested: JSON.stringify(
    Object.fromEntries(
      Array.from({ length: 12_000 }, (_, i) => [
        `key_${i}`,
        { name: `value number ${i} with some text`, n: i, list: [1, 2, 'three', { x: 'é' }] },
      ]),
    ),
  ),
  // One wide object, like a large `settings`.
  flat: JSON.stringify({
    settings: Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`setting_${i}`, `v${i}`])),
  }),
  // Strings full of escapes: each is checked for an escaped NUL.
  escapes: JSON.stringify(
    Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, `line\n"quoted"\t${i}`])),
  ),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const time = (f: () => unknown) => {
  const t0 = performance.now();
  for (let i = 0; i < PER_ROUND; i++) f();
  return (performance.now() - t0) / PER_ROUND;
};

console.log('J1  strict JSON body check / JSON.parse alone, ~1 MB bodies (median of rounds)');
for (const [name, text] of Object.entries(bodies)) {
  if (!parseStrictJson(text).ok) throw new Error(`${name}: the bench body is refused`);
  const plain: number[] = [];
  const strict: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = time(() => JSON.parse(text));
    const b = time(() => parseStrictJson(text));
    plain.push(a);
    strict.push(b);
    ratios.push(b / a);
  }
  console.log(
    `    ${name.padEnd(8)} ${(Buffer.byteLength(text) / 1e6).toFixed(2)} MB  JSON.parse ${median(plain).toFixed(1)} ms  strict ${median(strict).toFixed(1)} ms  ratio ${median(ratios).toFixed(2)}`,
  );
}
