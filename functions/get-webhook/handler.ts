import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { WebhookParams } from '../../shared/http/webhook-params';

export const handler = endpoint(
  { operation: contract.getWebhook, plane: 'operator', params: WebhookParams },
  async ({ params }) => webhooks().get(params.id, {}),
);
