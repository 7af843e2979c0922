import { apiKeyAdmin } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { ListTenantApiKeysQuery } from '../../shared/http/api-key-schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.listTenantApiKeys, scope: 'keys:manage', query: ListTenantApiKeysQuery },
  async ({ query, caller }) => apiKeyAdmin().list(caller.tenant.id, query),
);
