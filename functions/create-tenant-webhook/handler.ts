import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { pathOf, reply } from '../../shared/http/responses';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { SECRET_WARNING, TenantWebhookCreate } from '../../shared/http/webhook-schemas';

export const handler = tenantEndpoint(
  {
    operation: contract.createTenantWebhook,
    scope: 'webhooks:manage',
    body: TenantWebhookCreate,
    status: 201,
  },
  async ({ body, caller, actor }) => {
    const created = await webhooks().create({ ...body, tenant_id: caller.tenant.id }, actor);
    return reply(
      { ...created, warning: SECRET_WARNING },
      { location: pathOf(contract.getTenantWebhook, { tenant: caller.name, id: created.webhook.id }) },
    );
  },
);
