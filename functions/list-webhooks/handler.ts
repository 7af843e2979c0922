import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { ListWebhooksQuery } from '../../shared/http/webhook-schemas';

export const handler = endpoint(
  { operation: contract.listWebhooks, plane: 'operator', query: ListWebhooksQuery },
  async ({ query: { tenant_id, ...page } }) =>
    webhooks().list(tenant_id === undefined ? {} : { tenant_id }, page),
);
