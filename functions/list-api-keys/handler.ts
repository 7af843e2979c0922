import { apiKeyAdmin } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { apiKeyView } from '../../shared/domain/api-key';
import { endpoint } from '../../shared/http/endpoint';
import { ListApiKeysQuery } from './schema';

export const handler = endpoint(
  { operation: contract.listApiKeys, plane: 'operator', query: ListApiKeysQuery },
  async ({ query: { tenant_id, ...page } }) => {
    const found = await apiKeyAdmin().list(tenant_id, page);
    return { ...found, items: found.items.map(apiKeyView) };
  },
);
