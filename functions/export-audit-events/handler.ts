import { audit } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { ExportAuditEventsQuery } from '../../shared/http/audit-schemas';
import { endpoint } from '../../shared/http/endpoint';
import { download } from '../../shared/http/responses';
import { streamingEndpoint } from '../../shared/http/streaming';

export const handler = streamingEndpoint(
  endpoint(
    { operation: contract.exportAuditEvents, plane: 'operator', query: ExportAuditEventsQuery },
    async ({ query }) => download(await audit().export(query)),
  ),
);
