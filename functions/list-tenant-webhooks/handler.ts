import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';
import { TenantWebhooksQuery } from '../../shared/http/webhook-schemas';

export const handler = tenantEndpoint(
  { operation: contract.listTenantWebhooks, scope: 'webhooks:manage', query: TenantWebhooksQuery },
  async ({ query, caller }) => webhooks().list({ tenant_id: caller.tenant.id }, query),
);
