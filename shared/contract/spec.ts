import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type Plane, planeOf } from './planes';

/**
 * openapi.yaml read as the route table. Build-time and local code only (the CDK app, the
 * local server, tests, generators): Lambda bundles use the generated `routes.ts` instead.
 */

export const SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly plane: Plane;
  /** Tenant plane: the API-key scope the operation needs (its `security` requirement). */
  readonly scope?: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export type OpenApiDocument = {
  info: { version: string; title: string };
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
};

export function loadSpec(path: string = SPEC_PATH): OpenApiDocument {
  return parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

export function operations(spec: OpenApiDocument = loadSpec()): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method] as
        | { operationId?: string; security?: Record<string, string[] | undefined>[] }
        | undefined;
      if (!op) continue;
      if (!op.operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const plane = planeOf(path);
      const scopes = new Set((op.security ?? []).flatMap((requirement) => Object.values(requirement).flat()));
      if (plane === 'tenant' && scopes.size !== 1) {
        throw new Error(`${op.operationId} must require exactly one API-key scope in its security`);
      }
      const [scope] = [...scopes];
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        plane,
        ...(plane === 'tenant' && scope ? { scope } : {}),
      });
    }
  }
  return out;
}
