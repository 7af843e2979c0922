import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { PLAINTEXT_WARNING, TenantApiKeyCreate } from '../../shared/http/api-key-schemas';
import { pathOf, reply } from '../../shared/http/responses';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.createTenantApiKey, scope: 'keys:manage', body: TenantApiKeyCreate, status: 201 },
  async ({ body, caller, actor }) => {
    // The calling key makes it: only scopes it holds, never a key that does not expire.
    const created = await apiKeys().create({ ...body, tenant_id: caller.tenant.id }, actor, caller.key);
    return reply(
      { ...created, warning: PLAINTEXT_WARNING },
      { location: pathOf(contract.revokeTenantApiKey, { tenant: caller.name, id: created.api_key.id }) },
    );
  },
);
