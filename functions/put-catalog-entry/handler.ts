import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { PutCatalogEntryBody, PutCatalogEntryParams } from './schema';

export const handler = endpoint(
  {
    operation: contract.putCatalogEntry,
    plane: 'operator',
    params: PutCatalogEntryParams,
    body: PutCatalogEntryBody,
  },
  async ({ params, body, actor }) => catalog().putEntry(params.key, body, actor),
);
