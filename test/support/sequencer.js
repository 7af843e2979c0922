import { relative } from 'node:path';
import Sequencer from '@jest/test-sequencer';

/**
 * Seconds the slowest files took in one whole run like CI's (`npm test` with an empty Jest cache
 * and no synthesis cache, 2 workers on the 2-core machine, load 3-5, 2026-12-02: 395 s). Only
 * their order matters: it stands in for the durations Jest records in its cache, which a clean
 * clone (CI) does not have.
 */
const EXPECTED_SECONDS = {
  'test/integration/fuzz.test.ts': 77,
  'test/infra/bundling.test.ts': 57,
  'test/integration/audit-model.test.ts': 56,
  'test/integration/faults.test.ts': 56,
  'test/integration/audit-tamper.test.ts': 53,
  'test/integration/tenant-isolation.test.ts': 46,
  'test/integration/concurrency.test.ts': 44,
  'test/integration/api-key-rules.test.ts': 37,
  'test/integration/least-privilege.test.ts': 34,
  'test/integration/tenant-swagger.test.ts': 29,
  'test/integration/local-server.test.ts': 25,
  'test/integration/audit.test.ts': 22,
  'test/integration/audit-batch.test.ts': 21,
  'test/integration/tenant-merge.test.ts': 21,
  'test/integration/api-keys.test.ts': 19,
};

/**
 * Longest first, so that the two workers finish together: a run is as long as its busiest
 * worker, and a long file started last keeps one worker busy after the other has run out.
 * Jest's own order does that from the durations it recorded; without them it goes by file size,
 * which put the bundling test (a small file, about a minute without its cache) last and the fuzz
 * suite in the middle. So a file with no recorded duration takes its expected one from above;
 * files with neither follow, largest first, as Jest does. Files that failed last time still run
 * first.
 */
export default class LongestFirst extends Sequencer {
  sort(tests) {
    const expected = (test) => {
      const seconds =
        EXPECTED_SECONDS[relative(test.context.config.rootDir, test.path).replaceAll('\\', '/')];
      return seconds === undefined ? undefined : seconds * 1000;
    };
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    for (const test of tests) test.duration = this.time(test) ?? expected(test);
    return tests.sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      if ((a.duration === undefined) !== (b.duration === undefined)) return a.duration === undefined ? 1 : -1;
      if (a.duration !== undefined && b.duration !== undefined) return b.duration - a.duration;
      return size(b) - size(a);
    });
  }
}
