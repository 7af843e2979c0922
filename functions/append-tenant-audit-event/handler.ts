import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { TenantAuditAppend } from '../../shared/http/audit-schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.appendTenantAuditEvent, scope: 'audit:write', body: TenantAuditAppend, status: 201 },
  async ({ body, caller, actor }) => audit().appendForTenant(caller.tenant.id, body, actor),
);
