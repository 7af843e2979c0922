import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { CreateApiKeyBody, PLAINTEXT_WARNING } from '../../shared/http/api-key-schemas';
import { endpoint } from '../../shared/http/endpoint';
import { pathOf, reply } from '../../shared/http/responses';

export const handler = endpoint(
  { operation: contract.createApiKey, plane: 'operator', body: CreateApiKeyBody, status: 201 },
  async ({ body, actor }) => {
    const created = await apiKeys().create(body, actor);
    return reply(
      { ...created, warning: PLAINTEXT_WARNING },
      { location: pathOf(contract.revokeApiKey, { id: created.api_key.id }) },
    );
  },
);
