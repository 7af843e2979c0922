import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { CatalogRequestBody } from '../../shared/http/catalog-schemas';
import { endpoint } from '../../shared/http/endpoint';
import { pathOf, reply } from '../../shared/http/responses';

export const handler = endpoint(
  { operation: contract.requestTrial, plane: 'operator', body: CatalogRequestBody, status: 201 },
  async ({ body, actor }) => {
    const trial = await catalog().startTrial(body.tenant_id, body.product, actor);
    return reply(trial, {
      location: pathOf(contract.grantEntitlement, { id: trial.tenant_id, product: trial.product }),
    });
  },
);
