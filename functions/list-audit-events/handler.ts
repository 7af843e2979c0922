import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { ListAuditEventsQuery } from './schema';

export const handler = endpoint(
  { operation: contract.listAuditEvents, plane: 'operator', query: ListAuditEventsQuery },
  async ({ query }) => audit().list(query),
);
