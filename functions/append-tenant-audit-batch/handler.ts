import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { TenantAuditBatch } from '../../shared/http/audit-schemas';
import { idempotencyFor } from '../../shared/http/idempotent-endpoint';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  {
    operation: contract.appendTenantAuditBatch,
    scope: 'audit:write',
    body: TenantAuditBatch,
    status: 201,
    idempotent: true,
  },
  async ({ body, caller, actor, idempotency }) =>
    audit().appendBatchForTenant(caller.tenant.id, body.events, actor, idempotency),
  { idempotency: idempotencyFor(contract.appendTenantAuditBatch.operationId) },
);
