import { tenantRetirement } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { precondition, reply } from '../../shared/http/responses';
import { tenantIdParams } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.retireTenant, plane: 'operator', params: tenantIdParams },
  async ({ params, actor, request }) => {
    const tenant = await tenantRetirement().retireTenant(params.id, actor, precondition(request));
    return reply(tenantView(tenant), { etag: tenant.version });
  },
);
