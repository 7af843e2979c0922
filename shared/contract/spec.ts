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
      const op = item[method] as { operationId?: string } | undefined;
      if (!op) continue;
      if (!op.operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      out.push({ operationId: op.operationId, method: method.toUpperCase(), path, plane: planeOf(path) });
    }
  }
  return out;
}
