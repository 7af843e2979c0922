import { config } from '../../shared/config/env';
import * as contract from '../../shared/contract/routes';
import { CONTRACT_VERSION, PACKAGE_VERSION } from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint({ operation: contract.getVersion, plane: 'operator' }, async () => ({
  name: 'tenant-registry',
  code_version: config().codeVersion ?? PACKAGE_VERSION,
  contract_version: CONTRACT_VERSION,
  openapi: '3.1.0',
}));
