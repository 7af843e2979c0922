import type { SecretSource } from '../../ports/secret-source';

/** Local use: the admin token from the environment, with no previous version. */
export class StaticSecretSource implements SecretSource {
  constructor(private readonly token: string | undefined) {}

  async current(): Promise<string | undefined> {
    return this.token;
  }

  async previous(): Promise<string | undefined> {
    return undefined;
  }

  async ping(): Promise<void> {}
}
