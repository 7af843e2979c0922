import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { TenantAuditQuery } from '../../shared/http/audit-schemas';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.listTenantAuditEvents, scope: 'audit:read', query: TenantAuditQuery },
  async ({ query, caller }) => audit().listForTenant(caller.tenant.id, query),
);
