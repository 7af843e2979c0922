import { webhookSends } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { WebhookParams } from '../../shared/http/webhook-params';

export const handler = tenantEndpoint(
  { operation: contract.testTenantWebhook, scope: 'webhooks:manage', params: WebhookParams, status: 202 },
  async ({ params, caller, actor }) => webhookSends().test(params.id, actor, { tenant_id: caller.tenant.id }),
);
