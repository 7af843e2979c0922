import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { TenantCatalogRequest } from '../../shared/http/catalog-schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  {
    operation: contract.requestTenantTrial,
    scope: 'catalog:request',
    body: TenantCatalogRequest,
    status: 201,
  },
  async ({ body, caller, actor }) => catalog().startTrial(caller.tenant.id, body.product, actor),
);
