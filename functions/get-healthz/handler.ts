import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint({ operation: contract.getHealthz, plane: 'public' }, async () => ({
  status: 'ok',
}));
