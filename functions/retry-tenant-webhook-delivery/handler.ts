import { webhookSends } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { DeliveryParams } from '../../shared/http/webhook-params';

export const handler = tenantEndpoint(
  {
    operation: contract.retryTenantWebhookDelivery,
    scope: 'webhooks:manage',
    params: DeliveryParams,
    status: 202,
  },
  async ({ params, caller }) =>
    webhookSends().retry(params.id, params.delivery_id, { tenant_id: caller.tenant.id }),
);
