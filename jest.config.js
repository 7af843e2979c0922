/**
 * Jest runs the TypeScript sources as native ESM, transpiled file by file by esbuild
 * (test/support/esbuild-transform.js; `npm run typecheck` does the type checking). One DynamoDB
 * Local process per worker serves the files of that worker; each file creates its own table, so
 * files run in parallel without sharing state.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js',
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/worker-endpoint.ts'],
  // Longest files first, also on a clean clone, where Jest has no durations of its own.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  // A hang guard, not a speed check (tests never fail on timing): generous, since a loaded
  // 2-core machine slows DynamoDB Local several times over.
  testTimeout: 120000,
  maxWorkers: 2,
};
