/**
 * Whether an error thrown by an AWS SDK client (or its HTTP handler) means the service could not
 * be reached or would not serve us now, after the SDK's own retries: throttled, failed on the
 * service's side, timed out or lost on the network. The request may succeed if repeated later,
 * so it is answered 503 `service_unavailable`, not 500 `internal`. Read from the error's shape
 * alone (no SDK import), so any client's errors classify alike.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    $fault?: unknown;
    $retryable?: { throttling?: unknown };
    $metadata?: { httpStatusCode?: unknown };
    CancellationReasons?: readonly ({ Code?: unknown } | undefined)[];
  };
  if (e.$retryable?.throttling === true) return true;
  if (typeof e.name === 'string' && THROTTLING.has(e.name)) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  if (e.name === 'TimeoutError') return true;
  if (typeof e.code === 'string' && NETWORK.has(e.code)) return true;
  // A transaction DynamoDB cancelled for capacity, not for one of our conditions.
  if (e.name === 'TransactionCanceledException')
    return (e.CancellationReasons ?? []).some((r) => typeof r?.Code === 'string' && CAPACITY.has(r.Code));
  return false;
}

/** Throttling error names of the services the registry calls (DynamoDB, SSM, Secrets Manager). */
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ThrottledException',
]);

/** Node's socket errors: the endpoint could not be reached or dropped the connection. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** TransactWriteItems cancellation reasons that are about capacity. */
const CAPACITY = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);
