import * as z from 'zod/mini';
import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { PLAINTEXT_WARNING, TenantApiKeyRoll } from '../../shared/http/api-key-schemas';
import { pathOf, reply } from '../../shared/http/responses';
import { uuid } from '../../shared/http/schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  {
    operation: contract.rollTenantApiKey,
    scope: 'keys:manage',
    params: z.strictObject({ id: uuid }),
    body: TenantApiKeyRoll,
    status: 201,
  },
  // Only the caller's tenant's keys, only with scopes the caller holds (it gets the plaintext).
  async ({ params, body, caller, actor }) => {
    const rolled = await apiKeys().roll(params.id, body, actor, caller.key);
    return reply(
      { ...rolled, warning: PLAINTEXT_WARNING },
      { location: pathOf(contract.revokeTenantApiKey, { tenant: caller.name, id: rolled.api_key.id }) },
    );
  },
);
