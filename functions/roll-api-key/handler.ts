import * as z from 'zod/mini';
import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { PLAINTEXT_WARNING, RollApiKeyBody } from '../../shared/http/api-key-schemas';
import { endpoint } from '../../shared/http/endpoint';
import { pathOf, reply } from '../../shared/http/responses';
import { uuid } from '../../shared/http/schemas';

export const handler = endpoint(
  {
    operation: contract.rollApiKey,
    plane: 'operator',
    params: z.strictObject({ id: uuid }),
    body: RollApiKeyBody,
    bodyRequired: false,
    status: 201,
  },
  async ({ params, body, actor }) => {
    const rolled = await apiKeys().roll(params.id, body, actor);
    return reply(
      { ...rolled, warning: PLAINTEXT_WARNING },
      { location: pathOf(contract.revokeApiKey, { id: rolled.api_key.id }) },
    );
  },
);
