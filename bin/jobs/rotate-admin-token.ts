import { randomInt } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { awsClient } from '../../shared/adapters/aws-clients';
import { logger } from '../../shared/observability/logger';
import { MIN_TOKEN_LENGTH } from '../../shared/services/admin-tokens';

/**
 * Secrets Manager rotation function for the admin token (a plain SecretString). The four steps
 * follow AWS's rotation contract; the token is only ever checked by this application, which reads
 * the secret itself, so `setSecret` has nothing to push anywhere. After `finishSecret` the old
 * token is AWSPREVIOUS, which the API keeps accepting (shared/services/admin-tokens.ts), so callers
 * have until the next rotation to switch. Never logs a token.
 */

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep | string;
}

/** Same shape as the token the stack generates at deploy: 48 letters and digits (~285 bits). */
export const TOKEN_LENGTH = 48;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_SHAPE = new RegExp(`^[A-Za-z0-9]{${MIN_TOKEN_LENGTH},}$`);

export function newToken(length: number = TOKEN_LENGTH): string {
  let out = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export class RotationError extends Error {
  override name = 'RotationError';
}

/** Runs one rotation step; exported for tests, which point `client` at the local stand-in. */
export async function rotate(
  client: SecretsManagerClient,
  event: RotationEvent,
  generate: () => string = newToken,
): Promise<void> {
  const { SecretId, ClientRequestToken: token, Step } = event;
  const described = await client.send(new DescribeSecretCommand({ SecretId }));
  const stages = described.VersionIdsToStages?.[token];
  // Done already (a retried step after finishSecret): nothing to do.
  if (stages?.includes('AWSCURRENT')) return;
  // RotateSecret registers the token as AWSPENDING before calling createSecret; a version that
  // has a value but no stage at all is a deprecated one and must not be promoted.
  if (Step !== 'createSecret' && !stages?.includes('AWSPENDING')) {
    throw new RotationError(`version ${token} is not staged AWSPENDING for rotation`);
  }
  if (Step === 'createSecret' && stages !== undefined && !stages.includes('AWSPENDING')) {
    throw new RotationError(`version ${token} is not staged AWSPENDING for rotation`);
  }

  switch (Step) {
    case 'createSecret': {
      // Fails when there is no current token at all: rotation never invents the first one.
      await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
      try {
        await client.send(
          new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
        );
        return; // a retry: the pending value exists already
      } catch (error) {
        if (!isNamed(error, 'ResourceNotFoundException')) throw error;
      }
      await client.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken: token,
          SecretString: generate(),
          VersionStages: ['AWSPENDING'],
        }),
      );
      return;
    }
    case 'setSecret':
      // The token lives only in this secret: the API reads AWSCURRENT and AWSPREVIOUS from it.
      return;
    case 'testSecret': {
      const pending = await client.send(
        new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      );
      if (!TOKEN_SHAPE.test(pending.SecretString ?? '')) {
        throw new RotationError(
          `the pending token must be at least ${MIN_TOKEN_LENGTH} letters and digits, or the API switches off`,
        );
      }
      return;
    }
    case 'finishSecret': {
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) =>
        s.includes('AWSCURRENT'),
      )?.[0];
      if (current === token) return;
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          ...(current ? { RemoveFromVersionId: current } : {}),
        }),
      );
      return;
    }
    default:
      throw new RotationError(`unknown rotation step ${JSON.stringify(Step)}`);
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

let client: SecretsManagerClient | undefined;

/** The Lambda entry point Secrets Manager invokes, once per step. */
export async function handler(event: RotationEvent): Promise<void> {
  client ??= awsClient(SecretsManagerClient, {});
  const fields = { event: 'admin_token.rotation', step: event.Step, version: event.ClientRequestToken };
  try {
    await rotate(client, event);
    logger.info('rotation step done', fields);
  } catch (error) {
    logger.error('rotation step failed', {
      ...fields,
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    throw error;
  }
}
