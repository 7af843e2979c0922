import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { VerifyAuditChainQuery } from '../../shared/http/audit-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.verifyAuditChain, plane: 'operator', query: VerifyAuditChainQuery },
  async ({ query }) =>
    audit().verify(query.tenant_id, {
      ...(query.from === undefined ? {} : { from: query.from }),
      budgetMs: query.budget_ms,
    }),
);
