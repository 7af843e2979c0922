/**
 * Writes shared/contract/routes.ts from openapi.yaml, so Lambda bundles know their route
 * without parsing YAML at cold start. `npm run gen` after editing the spec; a contract test
 * fails while the generated file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSpec, operations } from '../shared/contract/spec';

export const ROUTES_PATH = fileURLToPath(new URL('../shared/contract/routes.ts', import.meta.url));

export function renderRoutes(): string {
  const spec = loadSpec();
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const rows = operations(spec)
    .map((o) => `  ${o.operationId}: { method: '${o.method}', path: '${o.path}', plane: '${o.plane}' },`)
    .join('\n');
  return `// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
import type { Plane } from './planes';

export interface Route {
  readonly method: string;
  readonly path: string;
  readonly plane: Plane;
}

export const CONTRACT_VERSION = '${spec.info.version}';
export const PACKAGE_VERSION = '${pkg.version}';

export const routes = {
${rows}
} as const satisfies Record<string, Route>;

export type OperationId = keyof typeof routes;
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ROUTES_PATH, renderRoutes());
  console.log(`wrote ${ROUTES_PATH.slice(ROUTES_PATH.indexOf('shared/'))}`);
}
