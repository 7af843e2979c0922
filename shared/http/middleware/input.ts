import type middy from '@middy/core';
import * as z from 'zod/mini';
import { ValidationError } from '../../domain/errors';
import type { EndpointContext } from '../context';
import { HttpError } from '../errors';
import { parseStrictJson } from '../json-body';
import { mergeParameters } from '../merge';
import { matchPath } from '../request';
import { describeIssues } from '../schemas';

type Schema = z.ZodMiniType;

export interface InputSchemas {
  readonly params?: Schema;
  readonly query?: Schema;
  readonly body?: Schema;
  /** Whether a body must be sent (default: when there is a body schema). */
  readonly bodyRequired?: boolean;
  /** Tenant plane: the path and query parameters that name the tenant, consumed by admission. */
  readonly selectors?: { readonly path: readonly string[]; readonly query: readonly string[] };
  /** Tenant-plane POSTs: the query string and the body are one set of parameters (`mergeParameters`). */
  readonly merge?: boolean;
}

class PayloadTooLargeError extends HttpError {
  constructor(max: number) {
    super('payload_too_large', `the body is larger than ${max} bytes`);
  }
}

class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    super('unsupported_media_type', 'send the body as Content-Type: application/json');
  }
}

const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

function parse(schema: Schema | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const result = z.safeParse(schema, value, { reportInput: true });
  if (!result.success) throw new ValidationError(describeIssues(result.error.issues, where));
  return result.data;
}

/**
 * Path, query and body, validated against the operation's schemas. Bodies must be UTF-8 JSON
 * objects of at most `maxBodyBytes`, each key once per object and no NUL in any string
 * (`parseStrictJson`); operations without a body schema ignore a body. Query parameters an
 * operation reads must be sent once and carry no NUL.
 */
export function input(schemas: InputSchemas, maxBodyBytes: () => number): middy.MiddlewareObj {
  return {
    before: (request) => {
      const ctx = request.context as EndpointContext;
      const { http, route } = ctx.endpoint;

      const params = matchPath(route.path, http.path) ?? {};
      const query: Record<string, string> = { ...http.query };
      for (const name of schemas.selectors?.path ?? []) delete params[name];
      for (const name of schemas.selectors?.query ?? []) delete query[name];
      // Operations that take no query parameters ignore the query string (cache busters on
      // probes); those that take some are strict, so a typo like `limt` is a 400.
      if (schemas.query || schemas.merge) {
        const repeated = http.repeated.find((name) => Object.hasOwn(query, name));
        if (repeated !== undefined) {
          throw new ValidationError(`query parameter ${repeated.slice(0, 64)} is repeated`);
        }
        for (const [name, value] of Object.entries(query)) {
          if (name.includes('\u0000') || value.includes('\u0000')) {
            throw new ValidationError(
              `query parameter ${JSON.stringify(name.slice(0, 64))} contains a NUL character (%00)`,
            );
          }
        }
      }

      let body: unknown = {};
      if (schemas.body) {
        const max = maxBodyBytes();
        if (http.bodyBytes > max) throw new PayloadTooLargeError(max);
        if (http.body === undefined && !http.bodyNotUtf8) {
          if (schemas.bodyRequired ?? !schemas.merge) throw new ValidationError('a JSON body is required');
        } else {
          if (!JSON_MEDIA.test(http.headers['content-type'] ?? '')) throw new UnsupportedMediaTypeError();
          if (http.body === undefined) throw new ValidationError('the body is not valid UTF-8');
          const parsed = parseStrictJson(http.body);
          if (!parsed.ok) throw new ValidationError(parsed.message);
          body = parsed.value;
          if (body === null || typeof body !== 'object' || Array.isArray(body)) {
            throw new ValidationError('the body must be a JSON object');
          }
        }
      }

      ctx.endpoint.input = {
        params: parse(schemas.params, params, 'path'),
        query: schemas.query ? parse(schemas.query, query, 'query') : {},
        body: schemas.merge
          ? parse(schemas.body, mergeParameters(query, body as Record<string, unknown>), 'parameters')
          : parse(schemas.body, body, 'body'),
      };
    },
  };
}
