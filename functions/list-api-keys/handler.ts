import { apiKeyAdmin } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { ListApiKeysQuery } from '../../shared/http/api-key-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.listApiKeys, plane: 'operator', query: ListApiKeysQuery },
  async ({ query: { tenant_id, ...page } }) => apiKeyAdmin().list(tenant_id, page),
);
