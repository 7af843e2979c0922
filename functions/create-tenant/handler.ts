import { organizations, tenantCreation } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { idempotentEndpoint } from '../../shared/http/idempotent-endpoint';
import { etagOf, pathOf, reply } from '../../shared/http/responses';
import { CreateTenantBody } from './schema';

export const handler = idempotentEndpoint(
  {
    operation: contract.createTenant,
    plane: 'operator',
    body: CreateTenantBody,
    status: 201,
  },
  async ({ body, actor, idempotency }) => {
    const created = await tenantCreation().createTenant(body, actor, {
      ...(idempotency ? { idempotency } : {}),
      organizations: organizations(),
      // Headers included: a replay answers them again.
      respond: (tenant, inviteUrl) => ({
        status: 201,
        body: { tenant: tenantView(tenant), ...(inviteUrl ? { invite_url: inviteUrl } : {}) },
        headers: { etag: etagOf(tenant.version), location: pathOf(contract.getTenant, { id: tenant.id }) },
      }),
    });
    return reply(created.body, {
      status: created.status,
      ...(created.headers ? { headers: created.headers } : {}),
    });
  },
);
