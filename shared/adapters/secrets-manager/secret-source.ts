import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../../ports/secret-source';

/** The admin token as a Secrets Manager secret; rotation keeps the old one as AWSPREVIOUS. */
export class SecretsManagerSecretSource implements SecretSource {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  current(): Promise<string | undefined> {
    return this.version('AWSCURRENT');
  }

  previous(): Promise<string | undefined> {
    return this.version('AWSPREVIOUS');
  }

  async ping(): Promise<void> {
    await this.current();
  }

  private async version(stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | undefined> {
    try {
      const { SecretString } = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }),
      );
      return SecretString;
    } catch (error) {
      // A secret that was never rotated has no AWSPREVIOUS version.
      if (stage === 'AWSPREVIOUS' && error instanceof Error && error.name === 'ResourceNotFoundException') {
        return undefined;
      }
      throw error;
    }
  }
}
