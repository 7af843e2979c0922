import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { CatalogRequestBody } from '../../shared/http/catalog-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.requestProduct, plane: 'operator', body: CatalogRequestBody, status: 202 },
  async ({ body, actor }) => ({
    status: 'accepted',
    audit_event_id: await catalog().requestProduct(body.tenant_id, body.product, actor),
  }),
);
