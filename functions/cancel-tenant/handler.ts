import { tenants } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { precondition, reply } from '../../shared/http/responses';
import { tenantIdParams } from '../../shared/http/schemas';
import { CancelTenantBody } from './schema';

export const handler = endpoint(
  {
    operation: contract.cancelTenant,
    plane: 'operator',
    params: tenantIdParams,
    body: CancelTenantBody,
    bodyRequired: false,
  },
  async ({ params, body, actor, request }) => {
    const tenant = await tenants().cancel(params.id, body, actor, precondition(request));
    return reply(tenantView(tenant), { etag: tenant.version });
  },
);
