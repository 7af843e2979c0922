import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { TenantExportQuery } from '../../shared/http/audit-schemas';
import { download } from '../../shared/http/responses';
import { streamingEndpoint } from '../../shared/http/streaming';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = streamingEndpoint(
  tenantEndpoint(
    { operation: contract.exportTenantAuditEvents, scope: 'audit:read', query: TenantExportQuery },
    async ({ query, caller }) => download(await audit().exportForTenant(caller.tenant.id, query)),
  ),
);
