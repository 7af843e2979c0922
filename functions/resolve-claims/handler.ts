import { claims } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { ResolveClaimsBody } from './schema';

export const handler = endpoint(
  { operation: contract.resolveClaims, plane: 'service', body: ResolveClaimsBody },
  async ({ body }) => claims().resolve(body),
);
