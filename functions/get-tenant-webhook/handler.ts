import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { WebhookParams } from '../../shared/http/webhook-params';

export const handler = tenantEndpoint(
  { operation: contract.getTenantWebhook, scope: 'webhooks:manage', params: WebhookParams },
  async ({ params, caller }) => webhooks().get(params.id, { tenant_id: caller.tenant.id }),
);
