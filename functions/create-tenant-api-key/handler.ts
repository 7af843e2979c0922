import { apiKeys } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { DEFAULT_SCOPES } from '../../shared/domain/api-key';
import { DomainError } from '../../shared/domain/errors';
import { TenantApiKeyCreate } from '../../shared/http/api-key-schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

const WARNING = 'Store this key now: it is shown only in this response and cannot be recovered.';

export const handler = tenantEndpoint(
  { operation: contract.createTenantApiKey, scope: 'keys:manage', body: TenantApiKeyCreate, status: 201 },
  async ({ body, caller, actor }) => {
    // A key can hand on only what it holds; without scopes, the read scopes it holds.
    const held = caller.key.scopes;
    const scopes = body.scopes ?? DEFAULT_SCOPES.filter((s) => held.includes(s));
    const extra = scopes.find((s) => !held.includes(s));
    if (extra)
      throw new DomainError('scope_not_held', `the API key cannot grant ${extra}: it does not hold it`);
    const created = await apiKeys().create(
      { ...body, scopes, tenant_id: caller.tenant.id, created_by: `api_key:${caller.key.id}` },
      actor,
    );
    return { ...created, warning: WARNING };
  },
);
