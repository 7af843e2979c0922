import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { DeliveriesQuery, WebhookParams } from '../../shared/http/webhook-schemas';

export const handler = tenantEndpoint(
  {
    operation: contract.listTenantWebhookDeliveries,
    scope: 'webhooks:manage',
    params: WebhookParams,
    query: DeliveriesQuery,
  },
  async ({ params, query, caller }) =>
    webhooks().deliveries(params.id, { tenant_id: caller.tenant.id }, query),
);
