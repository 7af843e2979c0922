import { tenants } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { precondition, reply } from '../../shared/http/responses';
import { tenantIdParams } from '../../shared/http/schemas';
import { UpdateTenantBody } from './schema';

export const handler = endpoint(
  { operation: contract.updateTenant, plane: 'operator', params: tenantIdParams, body: UpdateTenantBody },
  async ({ params, body, actor, request }) => {
    const tenant = await tenants().patch(params.id, body, actor, precondition(request));
    return reply(tenantView(tenant), { etag: tenant.version });
  },
);
