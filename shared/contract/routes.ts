// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
// One export per operation, so a handler's bundle holds only its own route.
import type { Scope } from '../domain/api-key';
import type { Plane } from './planes';

export interface Route {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly plane: Plane;
  /** Tenant plane: the API-key scope the operation needs. */
  readonly scope?: Scope;
  /** The `Allow` header of the route's path: every method it answers, HEAD and OPTIONS included. */
  readonly allow: string;
}

export const CONTRACT_VERSION = '1.0.0';
export const PACKAGE_VERSION = '0.1.0';

export const getHealthz = {
  operationId: 'getHealthz',
  method: 'GET',
  path: '/healthz',
  plane: 'public',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const getReadyz = {
  operationId: 'getReadyz',
  method: 'GET',
  path: '/readyz',
  plane: 'public',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const getVersion = {
  operationId: 'getVersion',
  method: 'GET',
  path: '/v1/version',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const listTenants = {
  operationId: 'listTenants',
  method: 'GET',
  path: '/v1/tenants',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const createTenant = {
  operationId: 'createTenant',
  method: 'POST',
  path: '/v1/tenants',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const getTenantBySlug = {
  operationId: 'getTenantBySlug',
  method: 'GET',
  path: '/v1/tenants/by-slug/{slug}',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const getTenant = {
  operationId: 'getTenant',
  method: 'GET',
  path: '/v1/tenants/{id}',
  plane: 'operator',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const retireTenant = {
  operationId: 'retireTenant',
  method: 'DELETE',
  path: '/v1/tenants/{id}',
  plane: 'operator',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const updateTenant = {
  operationId: 'updateTenant',
  method: 'PATCH',
  path: '/v1/tenants/{id}',
  plane: 'operator',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const activateTenant = {
  operationId: 'activateTenant',
  method: 'POST',
  path: '/v1/tenants/{id}/activate',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const cancelTenant = {
  operationId: 'cancelTenant',
  method: 'POST',
  path: '/v1/tenants/{id}/cancel',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listAliases = {
  operationId: 'listAliases',
  method: 'GET',
  path: '/v1/tenants/{id}/aliases',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const addAlias = {
  operationId: 'addAlias',
  method: 'POST',
  path: '/v1/tenants/{id}/aliases',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const removeAlias = {
  operationId: 'removeAlias',
  method: 'DELETE',
  path: '/v1/tenants/{id}/aliases/{slug}',
  plane: 'operator',
  allow: 'DELETE, OPTIONS',
} as const satisfies Route;
export const grantEntitlement = {
  operationId: 'grantEntitlement',
  method: 'PUT',
  path: '/v1/tenants/{id}/entitlements/{product}',
  plane: 'operator',
  allow: 'PUT, DELETE, OPTIONS',
} as const satisfies Route;
export const revokeEntitlement = {
  operationId: 'revokeEntitlement',
  method: 'DELETE',
  path: '/v1/tenants/{id}/entitlements/{product}',
  plane: 'operator',
  allow: 'PUT, DELETE, OPTIONS',
} as const satisfies Route;
export const listEntitlements = {
  operationId: 'listEntitlements',
  method: 'GET',
  path: '/v1/entitlements',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const listCatalog = {
  operationId: 'listCatalog',
  method: 'GET',
  path: '/v1/catalog',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const putCatalogEntry = {
  operationId: 'putCatalogEntry',
  method: 'PUT',
  path: '/v1/catalog/{key}',
  plane: 'operator',
  allow: 'PUT, OPTIONS',
} as const satisfies Route;
export const requestProduct = {
  operationId: 'requestProduct',
  method: 'POST',
  path: '/v1/catalog/request',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const requestTrial = {
  operationId: 'requestTrial',
  method: 'POST',
  path: '/v1/catalog/trial-request',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listApiKeys = {
  operationId: 'listApiKeys',
  method: 'GET',
  path: '/v1/api-keys',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const createApiKey = {
  operationId: 'createApiKey',
  method: 'POST',
  path: '/v1/api-keys',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const revokeApiKey = {
  operationId: 'revokeApiKey',
  method: 'DELETE',
  path: '/v1/api-keys/{id}',
  plane: 'operator',
  allow: 'DELETE, OPTIONS',
} as const satisfies Route;
export const rollApiKey = {
  operationId: 'rollApiKey',
  method: 'POST',
  path: '/v1/api-keys/{id}/roll',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const verifyApiKey = {
  operationId: 'verifyApiKey',
  method: 'POST',
  path: '/v1/internal/api-keys/verify',
  plane: 'service',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const resolveClaims = {
  operationId: 'resolveClaims',
  method: 'POST',
  path: '/v1/internal/keycloak/claims',
  plane: 'service',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listAuditEvents = {
  operationId: 'listAuditEvents',
  method: 'GET',
  path: '/v1/audit',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const appendAuditEvent = {
  operationId: 'appendAuditEvent',
  method: 'POST',
  path: '/v1/audit',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const appendAuditBatch = {
  operationId: 'appendAuditBatch',
  method: 'POST',
  path: '/v1/audit/batch',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const verifyAuditChain = {
  operationId: 'verifyAuditChain',
  method: 'GET',
  path: '/v1/audit/verify',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const exportAuditEvents = {
  operationId: 'exportAuditEvents',
  method: 'GET',
  path: '/v1/audit/export',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const listWebhooks = {
  operationId: 'listWebhooks',
  method: 'GET',
  path: '/v1/webhooks',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const createWebhook = {
  operationId: 'createWebhook',
  method: 'POST',
  path: '/v1/webhooks',
  plane: 'operator',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const getWebhook = {
  operationId: 'getWebhook',
  method: 'GET',
  path: '/v1/webhooks/{id}',
  plane: 'operator',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const deleteWebhook = {
  operationId: 'deleteWebhook',
  method: 'DELETE',
  path: '/v1/webhooks/{id}',
  plane: 'operator',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const updateWebhook = {
  operationId: 'updateWebhook',
  method: 'PATCH',
  path: '/v1/webhooks/{id}',
  plane: 'operator',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const rotateWebhookSecret = {
  operationId: 'rotateWebhookSecret',
  method: 'POST',
  path: '/v1/webhooks/{id}/rotate-secret',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const testWebhook = {
  operationId: 'testWebhook',
  method: 'POST',
  path: '/v1/webhooks/{id}/test',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listWebhookDeliveries = {
  operationId: 'listWebhookDeliveries',
  method: 'GET',
  path: '/v1/webhooks/{id}/deliveries',
  plane: 'operator',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const retryWebhookDelivery = {
  operationId: 'retryWebhookDelivery',
  method: 'POST',
  path: '/v1/webhooks/{id}/deliveries/{delivery_id}/retry',
  plane: 'operator',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const getTenantProfile = {
  operationId: 'getTenantProfile',
  method: 'GET',
  path: '/{tenant}/profile',
  plane: 'tenant',
  scope: 'profile:read',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const getTenantEntitlements = {
  operationId: 'getTenantEntitlements',
  method: 'GET',
  path: '/{tenant}/entitlements',
  plane: 'tenant',
  scope: 'entitlements:read',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const requestTenantProduct = {
  operationId: 'requestTenantProduct',
  method: 'POST',
  path: '/{tenant}/catalog/request',
  plane: 'tenant',
  scope: 'catalog:request',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const requestTenantTrial = {
  operationId: 'requestTenantTrial',
  method: 'POST',
  path: '/{tenant}/catalog/trial-request',
  plane: 'tenant',
  scope: 'catalog:request',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listTenantAuditEvents = {
  operationId: 'listTenantAuditEvents',
  method: 'GET',
  path: '/{tenant}/audit',
  plane: 'tenant',
  scope: 'audit:read',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const appendTenantAuditEvent = {
  operationId: 'appendTenantAuditEvent',
  method: 'POST',
  path: '/{tenant}/audit',
  plane: 'tenant',
  scope: 'audit:write',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const appendTenantAuditBatch = {
  operationId: 'appendTenantAuditBatch',
  method: 'POST',
  path: '/{tenant}/audit/batch',
  plane: 'tenant',
  scope: 'audit:write',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const exportTenantAuditEvents = {
  operationId: 'exportTenantAuditEvents',
  method: 'GET',
  path: '/{tenant}/audit/export',
  plane: 'tenant',
  scope: 'audit:read',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const listTenantApiKeys = {
  operationId: 'listTenantApiKeys',
  method: 'GET',
  path: '/{tenant}/api-keys',
  plane: 'tenant',
  scope: 'keys:manage',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const createTenantApiKey = {
  operationId: 'createTenantApiKey',
  method: 'POST',
  path: '/{tenant}/api-keys',
  plane: 'tenant',
  scope: 'keys:manage',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const revokeTenantApiKey = {
  operationId: 'revokeTenantApiKey',
  method: 'DELETE',
  path: '/{tenant}/api-keys/{id}',
  plane: 'tenant',
  scope: 'keys:manage',
  allow: 'DELETE, OPTIONS',
} as const satisfies Route;
export const rollTenantApiKey = {
  operationId: 'rollTenantApiKey',
  method: 'POST',
  path: '/{tenant}/api-keys/{id}/roll',
  plane: 'tenant',
  scope: 'keys:manage',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listTenantWebhooks = {
  operationId: 'listTenantWebhooks',
  method: 'GET',
  path: '/{tenant}/webhooks',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const createTenantWebhook = {
  operationId: 'createTenantWebhook',
  method: 'POST',
  path: '/{tenant}/webhooks',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'GET, HEAD, POST, OPTIONS',
} as const satisfies Route;
export const getTenantWebhook = {
  operationId: 'getTenantWebhook',
  method: 'GET',
  path: '/{tenant}/webhooks/{id}',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const deleteTenantWebhook = {
  operationId: 'deleteTenantWebhook',
  method: 'DELETE',
  path: '/{tenant}/webhooks/{id}',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const updateTenantWebhook = {
  operationId: 'updateTenantWebhook',
  method: 'PATCH',
  path: '/{tenant}/webhooks/{id}',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'GET, HEAD, PATCH, DELETE, OPTIONS',
} as const satisfies Route;
export const rotateTenantWebhookSecret = {
  operationId: 'rotateTenantWebhookSecret',
  method: 'POST',
  path: '/{tenant}/webhooks/{id}/rotate-secret',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const testTenantWebhook = {
  operationId: 'testTenantWebhook',
  method: 'POST',
  path: '/{tenant}/webhooks/{id}/test',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const listTenantWebhookDeliveries = {
  operationId: 'listTenantWebhookDeliveries',
  method: 'GET',
  path: '/{tenant}/webhooks/{id}/deliveries',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;
export const retryTenantWebhookDelivery = {
  operationId: 'retryTenantWebhookDelivery',
  method: 'POST',
  path: '/{tenant}/webhooks/{id}/deliveries/{delivery_id}/retry',
  plane: 'tenant',
  scope: 'webhooks:manage',
  allow: 'POST, OPTIONS',
} as const satisfies Route;
export const getTenantSwagger = {
  operationId: 'getTenantSwagger',
  method: 'GET',
  path: '/{tenant}/swagger',
  plane: 'tenant',
  scope: 'swagger:read',
  allow: 'GET, HEAD, OPTIONS',
} as const satisfies Route;

/** Every route by operationId (the local router and the tests; handlers import their own). */
export const routes = {
  getHealthz,
  getReadyz,
  getVersion,
  listTenants,
  createTenant,
  getTenantBySlug,
  getTenant,
  retireTenant,
  updateTenant,
  activateTenant,
  cancelTenant,
  listAliases,
  addAlias,
  removeAlias,
  grantEntitlement,
  revokeEntitlement,
  listEntitlements,
  listCatalog,
  putCatalogEntry,
  requestProduct,
  requestTrial,
  listApiKeys,
  createApiKey,
  revokeApiKey,
  rollApiKey,
  verifyApiKey,
  resolveClaims,
  listAuditEvents,
  appendAuditEvent,
  appendAuditBatch,
  verifyAuditChain,
  exportAuditEvents,
  listWebhooks,
  createWebhook,
  getWebhook,
  deleteWebhook,
  updateWebhook,
  rotateWebhookSecret,
  testWebhook,
  listWebhookDeliveries,
  retryWebhookDelivery,
  getTenantProfile,
  getTenantEntitlements,
  requestTenantProduct,
  requestTenantTrial,
  listTenantAuditEvents,
  appendTenantAuditEvent,
  appendTenantAuditBatch,
  exportTenantAuditEvents,
  listTenantApiKeys,
  createTenantApiKey,
  revokeTenantApiKey,
  rollTenantApiKey,
  listTenantWebhooks,
  createTenantWebhook,
  getTenantWebhook,
  deleteTenantWebhook,
  updateTenantWebhook,
  rotateTenantWebhookSecret,
  testTenantWebhook,
  listTenantWebhookDeliveries,
  retryTenantWebhookDelivery,
  getTenantSwagger,
} as const;

export type OperationId = keyof typeof routes;
