import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { AppendAuditEventBody } from '../../shared/http/audit-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.appendAuditEvent, plane: 'operator', body: AppendAuditEventBody, status: 201 },
  async ({ body, actor }) => audit().append(body, actor),
);
