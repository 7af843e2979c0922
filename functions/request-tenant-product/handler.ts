import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { TenantCatalogRequest } from '../../shared/http/catalog-schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  {
    operation: contract.requestTenantProduct,
    scope: 'catalog:request',
    body: TenantCatalogRequest,
    status: 202,
  },
  async ({ body, caller, actor }) => ({
    status: 'accepted',
    audit_event_id: await catalog().requestProduct(caller.tenant.id, body.product, actor),
  }),
);
