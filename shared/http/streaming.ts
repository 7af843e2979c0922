import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { logger } from '../observability/logger';
import type { EndpointHandler } from './endpoint';
import type { HttpEvent } from './request';
import type { HttpResponse, LambdaHttpResponse } from './responses';

/**
 * What the Lambda Node.js runtime offers a streaming function (the `awslambda` global): the
 * function writes an HTTP prelude (status, headers) and then the body, which API Gateway (REST,
 * integration response transfer mode STREAM, invoked with InvokeWithResponseStream) passes on
 * as it arrives, past the 6 MB of a buffered response.
 */
export interface LambdaStreamingRuntime {
  streamifyResponse(
    handler: (event: HttpEvent, responseStream: Writable, context: Context) => Promise<void>,
  ): unknown;
  readonly HttpResponseStream: {
    from(
      responseStream: Writable,
      prelude: { readonly statusCode: number; readonly headers: Record<string, string> },
    ): Writable;
  };
}

/**
 * The runtime's streaming API, where there is one. The global alone says nothing: the AWS SDK
 * creates an empty `awslambda` object everywhere (its invoke store).
 */
function runtimeGlobal(): LambdaStreamingRuntime | undefined {
  const runtime = (globalThis as { awslambda?: Partial<LambdaStreamingRuntime> }).awslambda;
  return typeof runtime?.streamifyResponse === 'function' && runtime.HttpResponseStream
    ? (runtime as LambdaStreamingRuntime)
    : undefined;
}

/**
 * An operation whose answer may be larger than a buffered Lambda response (exports). In the
 * Lambda runtime the handler is streamified: the whole middy chain runs as for every operation
 * and its response (an error or OPTIONS answer included) is written to the response stream,
 * a `stream` body chunk by chunk with backpressure. Elsewhere (the local server, the tests) the
 * handler is returned as it is: its response carries the stream and the caller writes it.
 */
export function streamingEndpoint(
  handler: EndpointHandler,
  runtime: LambdaStreamingRuntime | undefined = runtimeGlobal(),
): EndpointHandler {
  if (!runtime) return handler;
  const streaming = runtime.streamifyResponse(async (event, responseStream, context) => {
    await writeResponse(runtime, responseStream, await handler(event, context));
  });
  return Object.assign(streaming as EndpointHandler, { spec: handler.spec });
}

async function writeResponse(
  runtime: LambdaStreamingRuntime,
  responseStream: Writable,
  response: LambdaHttpResponse,
): Promise<void> {
  const headers = 'headers' in response ? response.headers : {};
  const out = runtime.HttpResponseStream.from(responseStream, { statusCode: response.statusCode, headers });
  const stream = (response as HttpResponse).stream;
  try {
    if (stream) {
      // The client went away: nothing more to read or send.
      if (!(await writeChunks(stream, out))) return;
    } else if (response.body !== '') {
      out.write(response.body);
    }
  } catch (error) {
    // The status is sent: all that is left is to cut the body short, so the client sees a
    // failed transfer rather than a file that looks complete.
    logger.error('stream.failed', { error: error instanceof Error ? error.message : String(error) });
    out.destroy(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  out.end();
  await once(out, 'finish').catch(() => undefined);
}

/**
 * Writes `chunks` to `out` one at a time, reading the next chunk from the source only once `out`
 * has taken the last one (below its high-water mark, or after `drain`): a slow client slows the
 * reads of the store, and memory holds about one chunk however long the body. Returns false,
 * having stopped reading (the source's `return` runs), when `out` closed first: the client went
 * away. Each wait removes its listeners, so a long body leaves none behind.
 */
export async function writeChunks(chunks: AsyncIterable<string>, out: Writable): Promise<boolean> {
  for await (const chunk of chunks) {
    if (out.destroyed) return false;
    if (!out.write(chunk) && !(await drained(out))) return false;
  }
  return !out.destroyed;
}

/** True on `drain`, false on `close` (whichever comes first); both listeners removed either way. */
function drained(out: Writable): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}
