/**
 * A compact validator of OpenAPI 3.1 Paths Objects, for the `paths` a catalog entry carries
 * into per-tenant API documents. It checks the structure a document generator relies on
 * (path keys, Path Item and Operation fields, responses, parameters, unique operationIds)
 * and leaves schemas to the generator's consumers: it never rebuilds the value, so what was
 * accepted is stored and returned as sent.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PATH_ITEM_FIELDS = new Set<string>([
  '$ref',
  'summary',
  'description',
  'servers',
  'parameters',
  ...METHODS,
]);
const OPERATION_FIELDS = new Set<string>([
  'tags',
  'summary',
  'description',
  'externalDocs',
  'operationId',
  'parameters',
  'requestBody',
  'responses',
  'callbacks',
  'deprecated',
  'security',
  'servers',
]);
const PARAMETER_LOCATIONS = new Set(['query', 'header', 'path', 'cookie']);
/**
 * First segments the tenant plane serves itself (`/{tenant}/swagger`, `/{tenant}/profile`, ...):
 * a component may not document a path that would shadow one of them in the tenant's document.
 */
export const TENANT_PLANE_SEGMENTS: ReadonlySet<string> = new Set([
  'swagger',
  'profile',
  'entitlements',
  'catalog',
  'audit',
  'api-keys',
]);
const MAX_PATHS = 200;
const MAX_DEPTH = 64;
const STATUS_KEY = /^(?:[1-5](?:\d\d|XX)|default)$/;
/** Literal segments and `{name}` templates; no query, fragment, empty segment or dot segment. */
const PATH_KEY = /^(?:\/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+|\{[A-Za-z0-9_.-]+\}))+\/?$|^\/$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isExtension = (key: string) => key.startsWith('x-');

/**
 * Keywords whose string value is a reference a reader of the document may follow: JSON Schema's
 * `$ref`, `$dynamicRef` and draft 2019's `$recursiveRef`, a Link Object's `operationRef` and an
 * Example Object's `externalValue`.
 */
const REFERENCE_KEYWORDS = new Set(['$ref', '$dynamicRef', '$recursiveRef', 'operationRef', 'externalValue']);
/** Keywords that move the base URI, so that even `#/...` would resolve against another document. */
const BASE_KEYWORDS = new Set(['$id']);

/**
 * Where in `value` a reference leaves the document (anything but `#/...`), or undefined: the
 * path of the first one, with the reason. A component's fragment lands in every using tenant's
 * document, and a tool that follows an external reference there would fetch whatever it names.
 * Only string values count: an object under `$ref` is a schema property of that name.
 */
export function externalReference(value: unknown, where = 'paths'): string | undefined {
  const path: string[] = [];
  const walk = (node: unknown, depth: number): string | undefined => {
    if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return undefined;
    for (const [key, child] of Object.entries(node)) {
      path.push(
        Array.isArray(node)
          ? `[${key}]`
          : /^[A-Za-z_$][\w$]*$/.test(key)
            ? `.${key.slice(0, 80)}`
            : `[${JSON.stringify(key.slice(0, 80))}]`,
      );
      if (typeof child === 'string') {
        if (REFERENCE_KEYWORDS.has(key) && !child.startsWith('#/'))
          return `${where}${path.join('')}: a reference must be local to the document (#/...), not ${JSON.stringify(child.slice(0, 80))}`;
        if (BASE_KEYWORDS.has(key))
          return `${where}${path.join('')}: ${key} would resolve references against another document`;
      }
      const problem = walk(child, depth + 1);
      if (problem) return problem;
      path.pop();
    }
    return undefined;
  };
  return walk(value, 0);
}

/** What is wrong with `paths` as an OpenAPI 3.1 Paths Object, or undefined when nothing is. */
export function pathsProblem(paths: unknown): string | undefined {
  if (!isObject(paths)) return 'must be an OpenAPI paths object';
  const deep = depthProblem(paths, 0);
  if (deep) return deep;
  const external = externalReference(paths);
  if (external) return external;
  const keys = Object.keys(paths).filter((k) => !isExtension(k));
  if (keys.length > MAX_PATHS) return `must have at most ${MAX_PATHS} paths`;
  const templates = new Map<string, string>();
  const operationIds = new Set<string>();
  for (const key of keys) {
    const where = `paths["${key.slice(0, 80)}"]`;
    if (!key.startsWith('/')) return `${where}: a path must start with "/"`;
    if (!PATH_KEY.test(key) || key.includes('/./') || key.includes('/../'))
      return `${where}: is not a path template (segments of URL characters or {name})`;
    const first = key.split('/')[1] ?? '';
    if (TENANT_PLANE_SEGMENTS.has(first))
      return `${where}: /${first} is served by the tenant plane itself and cannot be documented by a component`;
    const names = [...key.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) return `${where}: repeats a template parameter`;
    // `/a/{x}` and `/a/{y}` are the same path: OpenAPI forbids both in one document.
    const shape = key.replace(/\{[^}]+\}/g, '{}');
    const clash = templates.get(shape);
    if (clash !== undefined) return `${where}: is the same template as "${clash.slice(0, 80)}"`;
    templates.set(shape, key);
    const problem = pathItemProblem(paths[key], operationIds);
    if (problem) return `${where}${problem}`;
  }
  return undefined;
}

function pathItemProblem(item: unknown, operationIds: Set<string>): string | undefined {
  if (!isObject(item)) return ' must be a Path Item object';
  for (const [field, value] of Object.entries(item)) {
    if (isExtension(field)) continue;
    if (!PATH_ITEM_FIELDS.has(field)) return `: unknown Path Item field "${field.slice(0, 64)}"`;
    if ((field === '$ref' || field === 'summary' || field === 'description') && typeof value !== 'string')
      return `.${field} must be a string`;
    if (field === 'servers' && !Array.isArray(value)) return '.servers must be an array';
    if (field === 'parameters') {
      const problem = parametersProblem(value);
      if (problem) return `.parameters${problem}`;
    }
  }
  let operations = 0;
  for (const method of METHODS) {
    if (!(method in item)) continue;
    operations++;
    const problem = operationProblem(item[method], operationIds);
    if (problem) return `.${method}${problem}`;
  }
  if (operations === 0 && typeof item.$ref !== 'string')
    return ' must have at least one operation (get, put, post, delete, options, head, patch, trace)';
  return undefined;
}

function operationProblem(op: unknown, operationIds: Set<string>): string | undefined {
  if (!isObject(op)) return ' must be an Operation object';
  for (const [field, value] of Object.entries(op)) {
    if (isExtension(field)) continue;
    if (!OPERATION_FIELDS.has(field)) return `: unknown Operation field "${field.slice(0, 64)}"`;
    if (
      (field === 'summary' || field === 'description' || field === 'operationId') &&
      typeof value !== 'string'
    )
      return `.${field} must be a string`;
    if (field === 'deprecated' && typeof value !== 'boolean') return '.deprecated must be a boolean';
    if (field === 'tags' && !(Array.isArray(value) && value.every((t) => typeof t === 'string')))
      return '.tags must be an array of strings';
    if ((field === 'security' || field === 'servers') && !Array.isArray(value))
      return `.${field} must be an array`;
    if ((field === 'requestBody' || field === 'externalDocs' || field === 'callbacks') && !isObject(value))
      return `.${field} must be an object`;
    if (field === 'requestBody' && isObject(value) && value.$ref === undefined && !isObject(value.content))
      return '.requestBody must have content';
    if (field === 'parameters') {
      const problem = parametersProblem(value);
      if (problem) return `.parameters${problem}`;
    }
  }
  if (typeof op.operationId === 'string') {
    if (operationIds.has(op.operationId))
      return `.operationId "${op.operationId.slice(0, 64)}" is used twice`;
    operationIds.add(op.operationId);
  }
  return responsesProblem(op.responses);
}

function responsesProblem(responses: unknown): string | undefined {
  if (responses === undefined) return ' must have responses';
  if (!isObject(responses)) return '.responses must be an object';
  const codes = Object.keys(responses).filter((k) => !isExtension(k));
  if (codes.length === 0) return '.responses must name at least one response';
  for (const code of codes) {
    if (!STATUS_KEY.test(code))
      return `.responses: "${code.slice(0, 16)}" is not a status code, a range like 4XX, or default`;
    const response = responses[code];
    if (!isObject(response)) return `.responses.${code} must be a Response object`;
    if (response.$ref !== undefined) {
      if (typeof response.$ref !== 'string') return `.responses.${code}.$ref must be a string`;
      continue;
    }
    if (typeof response.description !== 'string') return `.responses.${code} must have a description`;
    if (response.content !== undefined && !isObject(response.content))
      return `.responses.${code}.content must be an object`;
  }
  return undefined;
}

function parametersProblem(parameters: unknown): string | undefined {
  if (!Array.isArray(parameters)) return ' must be an array';
  const seen = new Set<string>();
  for (const [i, p] of parameters.entries()) {
    if (!isObject(p)) return `[${i}] must be a Parameter object`;
    if (p.$ref !== undefined) {
      if (typeof p.$ref !== 'string') return `[${i}].$ref must be a string`;
      continue;
    }
    if (typeof p.name !== 'string' || p.name.length === 0) return `[${i}] must have a name`;
    if (typeof p.in !== 'string' || !PARAMETER_LOCATIONS.has(p.in))
      return `[${i}].in must be one of query, header, path, cookie`;
    if (p.in === 'path' && p.required !== true) return `[${i}]: a path parameter must be required: true`;
    if (p.schema === undefined && p.content === undefined) return `[${i}] must have a schema or content`;
    const id = `${p.in}:${p.name}`;
    if (seen.has(id)) return `[${i}] repeats ${p.in} parameter "${p.name.slice(0, 64)}"`;
    seen.add(id);
  }
  return undefined;
}

/** Bounds the walk of anything nested (schemas may nest, but not without end). */
function depthProblem(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
  if (typeof value === 'number' && !Number.isFinite(value)) return 'holds a number out of range';
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key === '__proto__') return 'has the reserved key "__proto__"';
    const problem = depthProblem(child, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
