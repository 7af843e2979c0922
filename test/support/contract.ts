import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadSpec, type OpenApiDocument } from '../../shared/contract/spec';

/**
 * Every response a test receives is checked against openapi.yaml: its status must be one the
 * operation documents, and its JSON body must match the documented schema.
 */
const spec: OpenApiDocument = loadSpec();
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec as object, 'openapi');

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const cache = new Map<string, ValidateFunction | null>();

function responseObject(path: string, method: string, status: number): { ref: string } | undefined {
  const op = spec.paths[path]?.[method.toLowerCase()] as
    | { responses?: Record<string, { $ref?: string }> }
    | undefined;
  const response = op?.responses?.[String(status)] ?? op?.responses?.default;
  if (!response) return undefined;
  if (response.$ref) return { ref: response.$ref.slice(1) };
  return { ref: `/${pointer('paths', path, method.toLowerCase(), 'responses', String(status))}` };
}

export class ContractViolation extends Error {}

export function assertResponseMatchesSpec(
  route: { path: string; method: string } | undefined,
  status: number,
  body: unknown,
): void {
  const where = route ? `${route.method} ${route.path}` : 'unknown route';
  const found = route
    ? responseObject(route.path, route.method, status)
    : { ref: '/components/responses/NotFound' };
  if (!found)
    throw new ContractViolation(`${where} answered ${status}, which openapi.yaml does not document`);
  const key = `${found.ref}`;
  if (!cache.has(key)) {
    const resolved = found.ref
      .split('/')
      .slice(1)
      .reduce<unknown>(
        (node, part) => (node as Record<string, unknown>)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
        spec,
      );
    const hasSchema = (resolved as { content?: Record<string, { schema?: unknown }> })?.content?.[
      'application/json'
    ]?.schema;
    cache.set(
      key,
      hasSchema ? ajv.compile({ $ref: `openapi#${found.ref}/content/application~1json/schema` }) : null,
    );
  }
  const validate = cache.get(key);
  if (!validate) return;
  if (!validate(body)) {
    throw new ContractViolation(
      `${where} ${status} body does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
    );
  }
}
