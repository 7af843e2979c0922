import { aliases } from '../../shared/app';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { reply } from '../../shared/http/responses';
import { CreateTenantBody } from './schema';

export const handler = endpoint(
  { operation: 'createTenant', plane: 'operator', body: CreateTenantBody, status: 201, idempotent: true },
  async ({ body, actor, idempotency }) => {
    const created = await aliases().createTenant(body, actor, {
      ...(idempotency ? { idempotency } : {}),
      respond: (tenant) => ({ status: 201, body: { tenant: tenantView(tenant) } }),
    });
    return reply(created.body, { status: created.status });
  },
);
