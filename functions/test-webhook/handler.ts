import { webhookSends } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { WebhookParams } from '../../shared/http/webhook-params';

export const handler = endpoint(
  { operation: contract.testWebhook, plane: 'operator', params: WebhookParams, status: 202 },
  async ({ params, actor }) => webhookSends().test(params.id, actor, {}),
);
