/** Where the admin token comes from (Secrets Manager, or the environment locally). */
export interface SecretSource {
  /** The token callers should be using now. */
  current(): Promise<string | undefined>;
  /** The token being rotated out, still accepted during the grace window. */
  previous(): Promise<string | undefined>;
  ping(): Promise<void>;
}
