/**
 * `npm run mutate`: mutation testing of the security core (Stryker). Not part of `npm test` or
 * CI: it takes a while. `npm run mutate -- --mutate shared/domain/slug.ts` works on one file;
 * `npm run mutate:unit` leaves out the integration file (much faster: each integration test
 * reaches most mutants, and every mutant re-runs the tests that reach it).
 * Equivalent mutants (no test can tell them apart from the original) are disabled in the source
 * with a `// Stryker disable next-line <mutator>: <reason>` comment next to the code.
 */

/** The unit tests of the mutated modules. */
const UNIT = [
  'api-key',
  'api-key-rules',
  'audit',
  'tenant',
  'slug',
  'tenant-selection',
  'tenant-access',
  'merge',
].map((name) => `<rootDir>/test/unit/${name}.test.ts`);

/**
 * The tenant plane's rules one by one through the real handlers over DynamoDB Local. The heavier
 * integration files (the key matrix, the isolation matrix, the fuzz suite) would multiply the
 * run time for few extra kills.
 */
const INTEGRATION = ['<rootDir>/test/integration/tenant-plane.test.ts'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'shared/domain/api-key.ts',
    'shared/domain/audit.ts',
    'shared/domain/tenant.ts',
    'shared/domain/slug.ts',
    'shared/domain/tenant-selection.ts',
    'shared/services/tenant-access.ts',
    'shared/http/merge.ts',
  ],
  testRunner: 'jest',
  // The tests are native ESM (as in `npm test`).
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: {
      // Every folder a test reaches the mutated files through, so `findRelatedTests` follows
      // the imports (test -> shared/app -> shared/services/...), not only direct ones.
      roots: ['<rootDir>/test', '<rootDir>/shared', '<rootDir>/bin', '<rootDir>/functions'],
      testMatch: process.env.MUTATE_UNIT_ONLY === '1' ? UNIT : [...UNIT, ...INTEGRATION],
      // Jest runs once per mutant in the same process: one DynamoDB Local per test-runner
      // process instead of one per run.
      globalSetup: '<rootDir>/test/support/stryker-global-setup.ts',
      globalTeardown: undefined,
    },
  },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // The machine is shared: one test runner. Raise it with `--concurrency N` on a free machine.
  concurrency: 1,
  timeoutMS: 30000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['cdk.out', '.data', '.bench', 'coverage', 'dist', 'reports'],
  thresholds: { high: 90, low: 90, break: null },
};
