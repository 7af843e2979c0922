import { tenants } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { ListTenantsQuery } from './schema';

export const handler = endpoint(
  { operation: contract.listTenants, plane: 'operator', query: ListTenantsQuery },
  async ({ query }) => {
    const page = await tenants().list(query);
    return { ...page, items: page.items.map(tenantView) };
  },
);
