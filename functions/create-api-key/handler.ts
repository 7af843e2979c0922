import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { CreateApiKeyBody, PLAINTEXT_WARNING } from '../../shared/http/api-key-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.createApiKey, plane: 'operator', body: CreateApiKeyBody, status: 201 },
  async ({ body, actor }) => ({ ...(await apiKeys().create(body, actor)), warning: PLAINTEXT_WARNING }),
);
