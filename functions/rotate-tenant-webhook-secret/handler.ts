import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { SECRET_WARNING, WebhookParams } from '../../shared/http/webhook-schemas';

export const handler = tenantEndpoint(
  {
    operation: contract.rotateTenantWebhookSecret,
    scope: 'webhooks:manage',
    params: WebhookParams,
    status: 201,
  },
  async ({ params, caller, actor }) => ({
    ...(await webhooks().rotateSecret(params.id, actor, { tenant_id: caller.tenant.id })),
    warning: SECRET_WARNING,
  }),
);
