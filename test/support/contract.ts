import { appendFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadSpec, type OpenApiDocument } from '../../shared/contract/spec';

/**
 * Every response a test receives is checked against openapi.yaml: its status must be one the
 * operation documents; its JSON body must match the documented schema; an error's `error` must
 * be one of the codes that response lists; and its headers must be the ones the response
 * declares (besides the transport headers every JSON response carries), the required ones
 * present, each value matching its schema. `HEAD` is held to the GET's response without a
 * body, `OPTIONS` to `#/components/responses/Options`.
 *
 * Each (operation, status, error code) seen is recorded; with `CONTRACT_OBSERVED_FILE` set,
 * appended to that file once per process (`sort -u` it for the suites' total).
 */
const spec: OpenApiDocument = loadSpec();
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec as object, 'openapi');

/** Sent by every JSON response, declared once in the document's description. */
export const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'cache-control',
]);

interface HeaderObject {
  readonly $ref?: string;
  readonly required?: boolean;
  readonly schema?: unknown;
}

export interface ResponseObject {
  readonly $ref?: string;
  readonly description?: string;
  readonly headers?: Readonly<Record<string, HeaderObject>>;
  readonly content?: Readonly<Record<string, { readonly schema?: SchemaObject }>>;
}

export interface SchemaObject {
  readonly $ref?: string;
  readonly allOf?: readonly SchemaObject[];
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly enum?: readonly unknown[];
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** What a JSON pointer of this document (`#/components/...`) names. */
export function at<T>(ref: string): T {
  return ref
    .replace(/^#/, '')
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (node, part) =>
        (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
      spec,
    ) as T;
}

const follow = <T extends { $ref?: string }>(node: T): T => (node.$ref ? follow(at<T>(node.$ref)) : node);

/** The object a node stands for and its JSON pointer, through `$ref`s. */
function located<T extends { $ref?: string }>(node: T, where: string): { node: T; where: string } {
  return node.$ref ? located(at<T>(node.$ref), node.$ref.slice(1)) : { node, where };
}

/**
 * The codes an error response lists: the `enum` of its body's `error`, wherever the schema
 * (through `$ref` and `allOf`) states it; undefined when no schema states one.
 */
export function errorCodesOf(response: ResponseObject): readonly string[] | undefined {
  const find = (node: SchemaObject | undefined): readonly string[] | undefined => {
    if (!node) return undefined;
    const s = follow(node);
    const own = s.properties?.error ? follow(s.properties.error).enum : undefined;
    if (own) return own as string[];
    for (const part of s.allOf ?? []) {
      const found = find(part);
      if (found) return found;
    }
    return undefined;
  };
  return find(follow(response).content?.['application/json']?.schema);
}

/** The documented response for a status: its JSON pointer and the object. */
function responseFor(
  path: string,
  method: string,
  status: number,
): { ref: string; response: ResponseObject } | undefined {
  const m = method.toLowerCase();
  const op = spec.paths[path]?.[m] as { responses?: Record<string, ResponseObject> } | undefined;
  const key = op?.responses?.[String(status)]
    ? String(status)
    : op?.responses?.default
      ? 'default'
      : undefined;
  const response = key ? op?.responses?.[key] : undefined;
  if (!key || !response) return undefined;
  const { node, where } = located(response, `/${pointer('paths', path, m, 'responses', key)}`);
  return { ref: where, response: node };
}

const validators = new Map<string, ValidateFunction | null>();
function validatorAt(ref: string, present: boolean): ValidateFunction | null {
  if (!validators.has(ref)) validators.set(ref, present ? ajv.compile({ $ref: `openapi#${ref}` }) : null);
  return validators.get(ref) ?? null;
}

export class ContractViolation extends Error {}

/** (operationId, status, error code) triples this process has seen, as `op status code`. */
export const observed = new Set<string>();
const OBSERVED_FILE = process.env.CONTRACT_OBSERVED_FILE;

export interface Exchange {
  /** The request's method; a HEAD or OPTIONS is checked as such (default: the operation's). */
  readonly method?: string;
  /** The response's headers, by lower-case name; checked when given. */
  readonly headers?: Readonly<Record<string, string>>;
}

export function assertResponseMatchesSpec(
  route: { operationId?: string; path: string; method: string } | undefined,
  status: number,
  body: unknown,
  exchange: Exchange = {},
): void {
  const method = (exchange.method ?? route?.method ?? 'GET').toUpperCase();
  const where = route ? `${method} ${route.path}` : 'unknown route';
  const component = (name: string) => ({
    ref: `/components/responses/${name}`,
    response: at<ResponseObject>(`#/components/responses/${name}`),
  });
  let found: { ref: string; response: ResponseObject } | undefined;
  // A path or method no operation answers is an unknown route (the NotFound body); OPTIONS is
  // answered for every path alike (`Options`): 204, or 404 with the API off or for a tenant no
  // one can have, or a 500/503 like any operation.
  if (!route) found = component('NotFound');
  else if (method === 'OPTIONS') {
    const name = { 204: 'Options', 404: 'NotFound', 500: 'InternalError', 503: 'ServiceUnavailable' }[status];
    found = name ? component(name) : undefined;
  } else found = responseFor(route.path, route.method, status);
  if (!found)
    throw new ContractViolation(`${where} answered ${status}, which openapi.yaml does not document`);

  const { ref, response } = found;
  const withoutBody = method === 'HEAD' || (method === 'OPTIONS' && status === 204);
  if (withoutBody) {
    if (body !== undefined && body !== '')
      throw new ContractViolation(
        `${where} ${status} sent a body: ${String(JSON.stringify(body)).slice(0, 200)}`,
      );
  } else {
    const code = (body as { error?: unknown } | undefined)?.error;
    if (status >= 400 && typeof code === 'string') {
      const listed = errorCodesOf(response);
      if (!listed?.includes(code)) {
        throw new ContractViolation(
          `${where} ${status} answered error '${code}', which openapi.yaml does not list for it (${listed?.join(', ') ?? 'no enum'})`,
        );
      }
      const triple = `${route?.operationId ?? 'unknownRoute'} ${status} ${code}`;
      if (!observed.has(triple)) {
        observed.add(triple);
        if (OBSERVED_FILE) appendFileSync(OBSERVED_FILE, `${triple}\n`);
      }
    }
    const hasSchema = response.content?.['application/json']?.schema !== undefined;
    const validate = validatorAt(`${ref}/content/application~1json/schema`, hasSchema);
    if (validate && !validate(body)) {
      throw new ContractViolation(
        `${where} ${status} body does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
      );
    }
  }
  if (exchange.headers) assertHeaders(where, status, ref, response, exchange.headers);
}

function assertHeaders(
  where: string,
  status: number,
  ref: string,
  response: ResponseObject,
  headers: Readonly<Record<string, string>>,
): void {
  const declared = new Map(
    Object.entries(response.headers ?? {}).map(([name, h]) => {
      const { node, where } = located(h, `${ref}/headers/${pointer(name)}`);
      return [name.toLowerCase(), { name, header: node, where }];
    }),
  );
  const sent = Object.keys(headers).map((h) => h.toLowerCase());
  const undeclared = sent.filter((h) => !TRANSPORT_HEADERS.has(h) && !declared.has(h));
  if (undeclared.length > 0)
    throw new ContractViolation(
      `${where} ${status} sent ${undeclared.join(', ')}, which openapi.yaml does not declare for it`,
    );
  for (const [lower, { name, header, where: headerAt }] of declared) {
    const value = Object.entries(headers).find(([h]) => h.toLowerCase() === lower)?.[1];
    if (value === undefined) {
      if (header.required)
        throw new ContractViolation(`${where} ${status} did not send ${name}, which openapi.yaml requires`);
      continue;
    }
    const validate = header.schema ? validatorAt(`${headerAt}/schema`, true) : null;
    if (validate && !validate(value))
      throw new ContractViolation(
        `${where} ${status} ${name}: ${JSON.stringify(value)} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}`,
      );
  }
}
