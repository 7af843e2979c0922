/**
 * Jest runs the TypeScript sources as native ESM (ts-jest, transpile only: `npm run typecheck`
 * does the type checking). One DynamoDB Local process per worker serves the files of that
 * worker; each file creates its own table, so files run in parallel without sharing state.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/worker-endpoint.ts'],
  // A hang guard, not a speed check (tests never fail on timing): generous, since a loaded
  // 2-core machine slows DynamoDB Local several times over.
  testTimeout: 120000,
  maxWorkers: 2,
};
