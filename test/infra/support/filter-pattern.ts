/**
 * A small evaluator of CloudWatch Logs' JSON filter syntax, for the shape the stack uses:
 * `{ $.a.b = "text" }` or `{ $.a.b != "text" }`, where text may hold `*` wildcards. As in
 * CloudWatch, a JSON pattern only ever matches a log event that is a JSON object, compares the
 * selected value as a string, and matches nothing when the selector is absent. Any other syntax
 * throws, so a pattern the evaluator does not understand can never pass a test by accident.
 */
export function jsonFilterMatches(pattern: string, line: string): boolean {
  const m =
    /^\{\s*\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*(=|!=)\s*"((?:[^"\\]|\\.)*)"\s*\}$/.exec(
      pattern,
    );
  if (!m) throw new Error(`unsupported filter pattern: ${pattern}`);
  const [, selector = '', op, literal = ''] = m;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  if (!event || typeof event !== 'object' || Array.isArray(event)) return false;
  let value: unknown = event;
  for (const key of selector.split('.')) {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, key)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  if (value === null || typeof value === 'object') return false;
  const expected = new RegExp(
    `^${literal
      .replace(/\\(.)/g, '$1')
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  const equal = expected.test(String(value));
  return op === '=' ? equal : !equal;
}
