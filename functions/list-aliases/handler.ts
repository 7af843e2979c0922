import { tenants } from '../../shared/app';
import { endpoint } from '../../shared/http/endpoint';
import { tenantIdParams } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: 'listAliases', plane: 'operator', params: tenantIdParams },
  async ({ params }) => ({ items: await tenants().listAliases(params.id) }),
);
