import { readiness } from '../../shared/app-readiness';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { reply } from '../../shared/http/responses';

export const handler = endpoint({ operation: contract.getReadyz, plane: 'public' }, async ({ request }) => {
  const checks = await readiness();
  const ok = Object.values(checks).every((c) => c === 'ok');
  return ok
    ? { status: 'ok', checks }
    : reply(
        {
          error: 'service_unavailable',
          message: 'a dependency is unreachable',
          request_id: request.requestId,
          checks,
        },
        { status: 503 },
      );
});
