import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { ListAuditEventsQuery } from '../../shared/http/audit-schemas';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint(
  { operation: contract.listAuditEvents, plane: 'operator', query: ListAuditEventsQuery },
  async ({ query }) => audit().list(query),
);
