import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per container. Every line carries the request id once the
 * endpoint has seen the request. Never give it a credential: the auth code logs reasons only.
 */
export const logger = new Logger({ serviceName: 'tenant-registry' });
