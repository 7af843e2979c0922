import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { reply } from '../../shared/http/responses';
import { WebhookParams } from '../../shared/http/webhook-params';

export const handler = endpoint(
  { operation: contract.deleteWebhook, plane: 'operator', params: WebhookParams, status: 204 },
  async ({ params, actor }) => {
    await webhooks().delete(params.id, actor, {});
    return reply(undefined, { status: 204 });
  },
);
