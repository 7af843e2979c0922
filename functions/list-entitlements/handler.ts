import * as z from 'zod/mini';
import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { uuid } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.listEntitlements, plane: 'operator', query: z.strictObject({ tenant_id: uuid }) },
  async ({ query }) => ({ items: await catalog().listEntitlements(query.tenant_id) }),
);
