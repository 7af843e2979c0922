import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { AppendAuditBatchBody } from '../../shared/http/audit-schemas';
import { idempotentEndpoint } from '../../shared/http/idempotent-endpoint';

export const handler = idempotentEndpoint(
  {
    operation: contract.appendAuditBatch,
    plane: 'operator',
    body: AppendAuditBatchBody,
    status: 201,
  },
  async ({ body, actor, idempotency }) => audit().appendBatch(body.events, actor, idempotency),
);
