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
  const ops = operations(spec);
  const consts = ops
    .map(
      (o) =>
        `export const ${o.operationId} = {\n  operationId: '${o.operationId}',\n  method: '${o.method}',\n  path: '${o.path}',\n  plane: '${o.plane}',\n} as const satisfies Route;`,
    )
    .join('\n');
  return `// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
// One export per operation, so a handler's bundle holds only its own route.
import type { Plane } from './planes';

export interface Route {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly plane: Plane;
}

export const CONTRACT_VERSION = '${spec.info.version}';
export const PACKAGE_VERSION = '${pkg.version}';

${consts}

/** Every route by operationId (the local router and the tests; handlers import their own). */
export const routes = {
${ops.map((o) => `  ${o.operationId},`).join('\n')}
} as const;

export type OperationId = keyof typeof routes;
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ROUTES_PATH, renderRoutes());
  console.log(`wrote ${ROUTES_PATH.slice(ROUTES_PATH.indexOf('shared/'))}`);
}
