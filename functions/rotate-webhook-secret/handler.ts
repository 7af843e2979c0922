import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { SECRET_WARNING, WebhookParams } from '../../shared/http/webhook-schemas';

export const handler = endpoint(
  { operation: contract.rotateWebhookSecret, plane: 'operator', params: WebhookParams, status: 201 },
  async ({ params, actor }) => ({
    ...(await webhooks().rotateSecret(params.id, actor, {})),
    warning: SECRET_WARNING,
  }),
);
