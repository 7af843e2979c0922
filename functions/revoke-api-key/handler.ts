import * as z from 'zod/mini';
import { apiKeyAdmin } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { reply } from '../../shared/http/responses';
import { uuid } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.revokeApiKey, plane: 'operator', params: z.strictObject({ id: uuid }), status: 204 },
  async ({ params, actor }) => {
    await apiKeyAdmin().revoke(params.id, actor);
    return reply(undefined, { status: 204 });
  },
);
