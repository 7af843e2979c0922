import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantEndpoint } from '../../shared/http/tenant-endpoint';

export const handler = tenantEndpoint(
  { operation: contract.getTenantEntitlements, scope: 'entitlements:read' },
  async ({ caller }) => ({ items: await catalog().listEntitlements(caller.tenant.id) }),
);
