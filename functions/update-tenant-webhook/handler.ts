import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { UpdateWebhookBody, WebhookParams } from '../../shared/http/webhook-schemas';

export const handler = tenantEndpoint(
  {
    operation: contract.updateTenantWebhook,
    scope: 'webhooks:manage',
    params: WebhookParams,
    body: UpdateWebhookBody,
  },
  async ({ params, body, caller, actor }) =>
    webhooks().update(params.id, body, actor, { tenant_id: caller.tenant.id }),
);
