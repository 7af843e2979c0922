/**
 * How much of a list a response may carry. A Lambda response travels as JSON whose `body` is
 * the response text escaped once more, and it has hard limits: 6 MB per synchronous invocation
 * (behind API Gateway) and 1 MB of response JSON for an Application Load Balancer target. A
 * page that passes them fails in AWS however small its `limit`, so every list stops adding
 * items before the budget below and hands out the cursor for the rest. Pure.
 */

/**
 * Bytes of items one page may carry, counted as they travel (`carriedBytes`). Under the ALB's
 * 1 MB with room for the response's envelope, headers, `next_cursor` and the difference between
 * a stored record and the view of it that is sent; one figure for both ingress modes.
 */
export const PAGE_BYTE_BUDGET = 786_432;

/**
 * What one item adds to a page inside the Lambda response: its JSON text, escaped again as the
 * response body string carries it (a `"` in a value is 4 bytes there), plus the comma.
 */
export function carriedBytes(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(item)), 'utf8') - 1;
}

/**
 * The longest head of `items` whose carried size stays within `budget`; never empty when
 * `items` is not (one item is always under it: a record is at most 400 KB in DynamoDB).
 */
export function withinBudget<T>(
  items: readonly T[],
  budget: number = PAGE_BYTE_BUDGET,
  size: (item: T) => number = carriedBytes,
): T[] {
  const out: T[] = [];
  let total = 0;
  for (const item of items) {
    total += size(item);
    if (out.length > 0 && total > budget) break;
    out.push(item);
  }
  return out;
}
