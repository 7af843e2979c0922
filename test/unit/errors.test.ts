import { isDependencyUnavailable } from '../../shared/adapters/aws-errors';
import { ConcurrentUpdateError, ValidationError } from '../../shared/domain/errors';
import { errorResponse } from '../../shared/http/errors';

/** What a failure answers: the code's status below 500; 503 for a dependency in trouble; else 500. */
const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} (test)`), { name, $metadata: {}, ...extra });

describe('isDependencyUnavailable', () => {
  it.each([
    ['DynamoDB throttling', sdkError('ProvisionedThroughputExceededException', { $fault: 'client' })],
    ['SSM throttling', sdkError('ThrottlingException', { $fault: 'client' })],
    ['a throttling error the SDK flags', sdkError('SomethingNew', { $retryable: { throttling: true } })],
    ['a service-side fault', sdkError('InternalServerError', { $fault: 'server' })],
    ['an HTTP 503', sdkError('Unknown', { $metadata: { httpStatusCode: 503 } })],
    ['an HTTP 429', sdkError('Unknown', { $metadata: { httpStatusCode: 429 } })],
    ['a socket timeout', sdkError('TimeoutError')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    [
      'a transaction cancelled for capacity',
      sdkError('TransactionCanceledException', {
        CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
      }),
    ],
  ])('%s is unavailable', (_label, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    [
      'a validation error of the SDK',
      sdkError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    ],
    [
      'access denied',
      sdkError('AccessDeniedException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    ],
    [
      'a transaction cancelled by a condition',
      sdkError('TransactionCanceledException', { CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] }),
    ],
    ['a bug', new TypeError('undefined is not a function')],
    ['not an error at all', 'boom'],
    ['null', null],
  ])('%s is not', (_label, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });
});

describe('errorResponse', () => {
  const answer = (error: unknown) => {
    const { response, exposed } = errorResponse(error, 'req-1');
    return { status: response.statusCode, body: JSON.parse(response.body) as unknown, exposed };
  };

  it('answers a domain error with its status and message', () => {
    expect(answer(new ValidationError('body.name is required'))).toEqual({
      status: 400,
      body: { error: 'invalid_input', message: 'body.name is required', request_id: 'req-1' },
      exposed: true,
    });
    expect(answer(new ConcurrentUpdateError()).status).toBe(409);
  });

  it('answers a dependency in trouble 503 service_unavailable, without its details', () => {
    expect(answer(sdkError('ProvisionedThroughputExceededException', { $fault: 'client' }))).toEqual({
      status: 503,
      body: {
        error: 'service_unavailable',
        message: 'a dependency is unavailable; retry later',
        request_id: 'req-1',
      },
      exposed: false,
    });
  });

  it('answers anything else 500 internal, without its details', () => {
    expect(answer(new TypeError('secret detail'))).toEqual({
      status: 500,
      body: { error: 'internal', message: 'internal error', request_id: 'req-1' },
      exposed: false,
    });
  });
});
