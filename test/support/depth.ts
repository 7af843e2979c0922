/**
 * How hard the exhaustive suites push. `npm test` runs the quick depth, sized so the whole suite
 * stays a few minutes on a 2-core machine; `npm run test:deep` (TEST_DEPTH=deep) runs every
 * combination and the larger sample sizes, for a release or a change to the security core.
 * Both depths run the same checks on the same routes: deep multiplies the cases, never adds a
 * kind of check that quick leaves out.
 */
export const TEST_DEPTH: 'quick' | 'deep' = process.env.TEST_DEPTH === 'deep' ? 'deep' : 'quick';

/** `quick` in `npm test`, `deep` under TEST_DEPTH=deep. */
export function byDepth<T>(quick: T, deep: T): T {
  return TEST_DEPTH === 'deep' ? deep : quick;
}
