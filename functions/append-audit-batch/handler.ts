import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { AppendAuditBatchBody } from '../../shared/http/audit-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  {
    operation: contract.appendAuditBatch,
    plane: 'operator',
    body: AppendAuditBatchBody,
    status: 201,
    idempotent: true,
  },
  async ({ body, actor, idempotency }) => audit().appendBatch(body.events, actor, idempotency),
);
