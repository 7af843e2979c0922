import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { UpdateWebhookBody, WebhookParams } from '../../shared/http/webhook-schemas';

export const handler = endpoint(
  { operation: contract.updateWebhook, plane: 'operator', params: WebhookParams, body: UpdateWebhookBody },
  async ({ params, body, actor }) => webhooks().update(params.id, body, actor, {}),
);
