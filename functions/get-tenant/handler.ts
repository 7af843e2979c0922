import { tenants } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { reply } from '../../shared/http/responses';
import { tenantIdParams } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.getTenant, plane: 'operator', params: tenantIdParams },
  async ({ params }) => {
    const tenant = await tenants().get(params.id);
    return reply(tenantView(tenant), { etag: tenant.version });
  },
);
