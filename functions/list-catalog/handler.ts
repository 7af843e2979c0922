import { catalog } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint({ operation: contract.listCatalog, plane: 'operator' }, async () => ({
  items: await catalog().listCatalog(),
}));
