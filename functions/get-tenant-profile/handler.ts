import * as contract from '../../shared/contract/routes';
import { tenantProfileView } from '../../shared/domain/tenant';
import { reply } from '../../shared/http/responses';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.getTenantProfile, scope: 'profile:read' },
  async ({ caller }) => reply(tenantProfileView(caller.tenant), { etag: caller.tenant.version }),
);
