import { apiKeyVerifier } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { VerifyApiKeyBody } from './schema';

export const handler = endpoint(
  { operation: contract.verifyApiKey, plane: 'service', body: VerifyApiKeyBody },
  async ({ body }) => apiKeyVerifier().verify(body.key),
);
