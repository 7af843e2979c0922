/** What one attempt got back: a status (and the start of the body), or why there is none. */
export interface TransportResult {
  readonly status_code?: number;
  /** The first 1 KiB of the response body, as text. */
  readonly body?: string;
  /** Why no status came back: `timeout`, `address_refused: <reason>`, `dns: <code>`, a socket error. */
  readonly error?: string;
  readonly latency_ms: number;
  /** The address connected to (or refused). */
  readonly address?: string;
}

/**
 * One POST to a receiver (shared/adapters/http/webhook-transport.ts): resolves the host once,
 * refuses what the address rules refuse, connects to the address it checked, follows no redirect
 * and gives up after the delivery timeout.
 */
export interface WebhookTransport {
  post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<TransportResult>;
}
