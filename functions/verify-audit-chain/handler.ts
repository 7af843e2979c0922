import * as z from 'zod/mini';
import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { uuid } from '../../shared/http/schemas';

export const handler = endpoint(
  {
    operation: contract.verifyAuditChain,
    plane: 'operator',
    query: z.strictObject({ tenant_id: z.optional(uuid) }),
  },
  async ({ query }) => audit().verify(query.tenant_id),
);
