/**
 * `npm run reconcile`: makes the published aliases in SSM equal the table's, against the
 * local stack's data folder (or, with AWS_ENDPOINT_URL_* / real credentials, anywhere).
 */
import { aliasReconciler } from '../shared/app';
import { startLocalStack } from './local/stack';

const stack = await startLocalStack({ serve: false, quiet: true });
try {
  const report = await aliasReconciler().reconcile();
  console.log(JSON.stringify(report, null, 2));
} finally {
  await stack.stop();
}
