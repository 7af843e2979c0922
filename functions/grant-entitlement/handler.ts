import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { EntitlementParams } from '../../shared/http/catalog-schemas';
import { endpoint } from '../../shared/http/endpoint';
import { GrantEntitlementBody } from './schema';

export const handler = endpoint(
  {
    operation: contract.grantEntitlement,
    plane: 'operator',
    params: EntitlementParams,
    body: GrantEntitlementBody,
    bodyRequired: false,
  },
  async ({ params, body, actor }) => catalog().grant(params.id, params.product, body, actor),
);
