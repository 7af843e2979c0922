// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
import type { Plane } from './planes';

export interface Route {
  readonly method: string;
  readonly path: string;
  readonly plane: Plane;
}

export const CONTRACT_VERSION = '1.0.0';
export const PACKAGE_VERSION = '0.1.0';

export const routes = {
  getHealthz: { method: 'GET', path: '/healthz', plane: 'public' },
  getReadyz: { method: 'GET', path: '/readyz', plane: 'public' },
  getVersion: { method: 'GET', path: '/v1/version', plane: 'operator' },
  listTenants: { method: 'GET', path: '/v1/tenants', plane: 'operator' },
  createTenant: { method: 'POST', path: '/v1/tenants', plane: 'operator' },
  getTenantBySlug: { method: 'GET', path: '/v1/tenants/by-slug/{slug}', plane: 'operator' },
  getTenant: { method: 'GET', path: '/v1/tenants/{id}', plane: 'operator' },
  retireTenant: { method: 'DELETE', path: '/v1/tenants/{id}', plane: 'operator' },
  updateTenant: { method: 'PATCH', path: '/v1/tenants/{id}', plane: 'operator' },
  activateTenant: { method: 'POST', path: '/v1/tenants/{id}/activate', plane: 'operator' },
  cancelTenant: { method: 'POST', path: '/v1/tenants/{id}/cancel', plane: 'operator' },
  listAliases: { method: 'GET', path: '/v1/tenants/{id}/aliases', plane: 'operator' },
  addAlias: { method: 'POST', path: '/v1/tenants/{id}/aliases', plane: 'operator' },
  removeAlias: { method: 'DELETE', path: '/v1/tenants/{id}/aliases/{slug}', plane: 'operator' },
} as const satisfies Record<string, Route>;

export type OperationId = keyof typeof routes;
