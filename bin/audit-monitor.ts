/**
 * `npm run audit:monitor`: one run of the scheduled audit verifier (bin/jobs/verify-audit.ts)
 * against the local stack, as `npm run reconcile` reaches it: verifies every chain a turn at a
 * time, moves checkpoints and stamps the TTL of events past retention, and prints the report.
 */
import { auditMonitor } from '../shared/app';
import { failureLine } from './local/cli';
import { openLocalStores } from './local/stack';

try {
  const stores = await openLocalStores();
  try {
    console.error(`Verifying audit chains with ${stores.using}`);
    const report = await auditMonitor().run();
    console.log(JSON.stringify(report, null, 2));
    if (report.chains.some((c) => !c.ok)) process.exitCode = 2;
  } finally {
    await stores.stop();
  }
} catch (error) {
  console.error(failureLine('npm run audit:monitor', error));
  process.exitCode = 1;
}
