import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { reply } from '../../shared/http/responses';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { WebhookParams } from '../../shared/http/webhook-params';

export const handler = tenantEndpoint(
  { operation: contract.deleteTenantWebhook, scope: 'webhooks:manage', params: WebhookParams, status: 204 },
  async ({ params, caller, actor }) => {
    await webhooks().delete(params.id, actor, { tenant_id: caller.tenant.id });
    return reply(undefined, { status: 204 });
  },
);
