import { webhookSends } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { DeliveryParams } from '../../shared/http/webhook-params';

export const handler = endpoint(
  { operation: contract.retryWebhookDelivery, plane: 'operator', params: DeliveryParams, status: 202 },
  async ({ params }) => webhookSends().retry(params.id, params.delivery_id, {}),
);
