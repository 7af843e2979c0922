import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { CatalogRequestBody } from '../../shared/http/catalog-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.requestTrial, plane: 'operator', body: CatalogRequestBody, status: 201 },
  async ({ body, actor }) => catalog().startTrial(body.tenant_id, body.product, actor),
);
