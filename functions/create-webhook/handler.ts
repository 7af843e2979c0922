import { webhooks } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { pathOf, reply } from '../../shared/http/responses';
import { CreateWebhookBody, SECRET_WARNING } from '../../shared/http/webhook-schemas';

export const handler = endpoint(
  { operation: contract.createWebhook, plane: 'operator', body: CreateWebhookBody, status: 201 },
  async ({ body, actor }) => {
    const created = await webhooks().create(body, actor);
    return reply(
      { ...created, warning: SECRET_WARNING },
      { location: pathOf(contract.getWebhook, { id: created.webhook.id }) },
    );
  },
);
