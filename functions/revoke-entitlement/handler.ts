import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { EntitlementParams } from '../../shared/http/catalog-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.revokeEntitlement, plane: 'operator', params: EntitlementParams, status: 204 },
  async ({ params, actor }) => {
    await catalog().revoke(params.id, params.product, actor);
    return undefined;
  },
);
