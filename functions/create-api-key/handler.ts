import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { CreateApiKeyBody } from '../../shared/http/api-key-schemas';
import { endpoint } from '../../shared/http/endpoint';

const WARNING = 'Store this key now: it is shown only in this response and cannot be recovered.';

export const handler = endpoint(
  { operation: contract.createApiKey, plane: 'operator', body: CreateApiKeyBody, status: 201 },
  async ({ body, actor }) => ({ ...(await apiKeys().create(body, actor)), warning: WARNING }),
);
