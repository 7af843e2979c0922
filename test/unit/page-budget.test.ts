import { carriedBytes, PAGE_BYTE_BUDGET, withinBudget } from '../../shared/domain/page-budget';

describe('page budget', () => {
  test('an item costs its JSON text escaped once more, plus a comma', () => {
    // {"a":"x"} is 9 bytes; escaped as a string its 4 quotes take 2 bytes each: 13, and a comma.
    expect(carriedBytes({ a: 'x' })).toBe(14);
    // A quote in a value: \" (2 bytes) in the body, 4 in the response JSON.
    expect(carriedBytes({ a: '"' })).toBe(17);
    // Bytes, not characters: é is 2.
    expect(carriedBytes({ a: 'é' })).toBe(15);
  });

  test('stops before the item that would pass the budget, keeps order, never returns nothing', () => {
    const size = (n: number) => n;
    expect(withinBudget([3, 3, 3, 3], 10, size)).toEqual([3, 3, 3]);
    expect(withinBudget([3, 3, 4, 1], 10, size)).toEqual([3, 3, 4]);
    expect(withinBudget([3, 8, 1], 10, size)).toEqual([3]);
    expect(withinBudget([50, 1], 10, size)).toEqual([50]);
    expect(withinBudget([], 10, size)).toEqual([]);
  });

  test('the budget fits under an ALB target’s 1 MB of response JSON with room to spare', () => {
    expect(PAGE_BYTE_BUDGET).toBeLessThanOrEqual(800_000);
    expect(PAGE_BYTE_BUDGET).toBeGreaterThanOrEqual(500_000);
    const items = Array.from({ length: 500 }, (_, i) => ({ id: i, blob: '"'.repeat(8_000) }));
    const page = withinBudget(items);
    expect(page.length).toBeGreaterThan(10);
    expect(page.length).toBeLessThan(40);
    expect(Buffer.byteLength(JSON.stringify(JSON.stringify({ items: page })))).toBeLessThan(1_000_000);
  });
});
