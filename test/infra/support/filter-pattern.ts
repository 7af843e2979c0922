/**
 * A small evaluator of CloudWatch Logs' JSON filter syntax, for the shapes the stack uses:
 * `{ $.a.b = "text" }`, `{ $.a.b != "text" }` (text may hold `*` wildcards), and such comparisons
 * combined with `&&`, `||` and parentheses. As in CloudWatch, a JSON pattern only ever matches a
 * log event that is a JSON object, compares the selected value as a string, and a comparison on
 * an absent selector is false. Any other syntax throws, so a pattern the evaluator does not
 * understand can never pass a test by accident.
 */
export function jsonFilterMatches(pattern: string, line: string): boolean {
  const body = /^\{(.*)\}$/s.exec(pattern.trim())?.[1];
  if (body === undefined) throw new Error(`unsupported filter pattern: ${pattern}`);
  const expression = parse(body, pattern);
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  if (!event || typeof event !== 'object' || Array.isArray(event)) return false;
  return evaluate(expression, event as Record<string, unknown>);
}

type Expression =
  | { readonly kind: 'compare'; readonly selector: string; readonly op: '=' | '!='; readonly literal: string }
  | { readonly kind: 'and' | 'or'; readonly left: Expression; readonly right: Expression };

const COMPARISON =
  /^\s*\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*(=|!=)\s*"((?:[^"\\]|\\.)*)"\s*/;

/** Recursive descent: `or := and ('||' and)*`, `and := term ('&&' term)*`, `term := '(' or ')' | comparison`. */
function parse(text: string, pattern: string): Expression {
  let rest = text;
  const fail = (): never => {
    throw new Error(`unsupported filter pattern: ${pattern}`);
  };
  const term = (): Expression => {
    rest = rest.trimStart();
    if (rest.startsWith('(')) {
      rest = rest.slice(1);
      const inner = or();
      rest = rest.trimStart();
      if (!rest.startsWith(')')) fail();
      rest = rest.slice(1);
      return inner;
    }
    const m = COMPARISON.exec(rest);
    if (!m) return fail();
    rest = rest.slice(m[0].length);
    return { kind: 'compare', selector: m[1] ?? '', op: m[2] === '!=' ? '!=' : '=', literal: m[3] ?? '' };
  };
  const and = (): Expression => {
    let left = term();
    for (rest = rest.trimStart(); rest.startsWith('&&'); rest = rest.trimStart()) {
      rest = rest.slice(2);
      left = { kind: 'and', left, right: term() };
    }
    return left;
  };
  const or = (): Expression => {
    let left = and();
    for (rest = rest.trimStart(); rest.startsWith('||'); rest = rest.trimStart()) {
      rest = rest.slice(2);
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const expression = or();
  if (rest.trim() !== '') fail();
  return expression;
}

function evaluate(e: Expression, event: Record<string, unknown>): boolean {
  if (e.kind !== 'compare') {
    return e.kind === 'and'
      ? evaluate(e.left, event) && evaluate(e.right, event)
      : evaluate(e.left, event) || evaluate(e.right, event);
  }
  let value: unknown = event;
  for (const key of e.selector.split('.')) {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, key)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  if (value === null || typeof value === 'object') return false;
  const expected = new RegExp(
    `^${e.literal
      .replace(/\\(.)/g, '$1')
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  const equal = expected.test(String(value));
  return e.op === '=' ? equal : !equal;
}
