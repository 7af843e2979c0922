import * as z from 'zod/mini';
import { apiKeyAdmin } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { reply } from '../../shared/http/responses';
import { uuid } from '../../shared/http/schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  {
    operation: contract.revokeTenantApiKey,
    scope: 'keys:manage',
    params: z.strictObject({ id: uuid }),
    status: 204,
  },
  async ({ params, caller, actor }) => {
    await apiKeyAdmin().revoke(params.id, actor, caller.tenant.id);
    return reply(undefined, { status: 204 });
  },
);
