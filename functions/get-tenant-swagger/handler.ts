import { tenantSwagger } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { reply } from '../../shared/http/responses';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.getTenantSwagger, scope: 'swagger:read' },
  async ({ caller }) => {
    const { document, etag } = await tenantSwagger().document(caller.tenant, caller.name);
    return reply(document, { headers: { etag } });
  },
);
