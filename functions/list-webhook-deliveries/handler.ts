import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { DeliveriesQuery, WebhookParams } from '../../shared/http/webhook-schemas';

export const handler = endpoint(
  {
    operation: contract.listWebhookDeliveries,
    plane: 'operator',
    params: WebhookParams,
    query: DeliveriesQuery,
  },
  async ({ params, query }) => webhooks().deliveries(params.id, {}, query),
);
