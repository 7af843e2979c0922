/**
 * `npm run reconcile`: makes the published aliases in SSM equal the table's. Uses the running
 * server's stack when `npm start` holds the data folder, else the data folder itself (locked
 * meanwhile) or whatever AWS_ENDPOINT_URL_* name. Creates nothing: no table, no secret.
 */
import { aliasReconciler } from '../shared/app';
import { failureLine } from './local/cli';
import { openLocalStores } from './local/stack';

try {
  const stores = await openLocalStores();
  try {
    console.error(`Reconciling with ${stores.using}`);
    const report = await aliasReconciler().reconcile();
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await stores.stop();
  }
} catch (error) {
  console.error(failureLine('npm run reconcile', error));
  process.exitCode = 1;
}
