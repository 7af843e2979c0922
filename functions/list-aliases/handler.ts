import { tenants } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { tenantIdParams } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.listAliases, plane: 'operator', params: tenantIdParams },
  async ({ params }) => ({ items: await tenants().listAliases(params.id) }),
);
