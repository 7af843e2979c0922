import { ReservedActionError, ReservedActorTypeError } from './errors';

/**
 * Who may write what into the audit log. The registry records its own changes under its own
 * action namespaces; products append theirs through the audit API and may not use those
 * namespaces, nor, from the tenant plane, the actor types the server uses for itself. Where an
 * event came from is never the caller's word: `origin` (and the writing key on the tenant
 * plane) is set by the server, inside the hash. Pure.
 */

/** Where an event came from: the plane of the credential that caused it, or the registry itself. */
export const ORIGINS = ['operator', 'service', 'tenant', 'system'] as const;
export type Origin = (typeof ORIGINS)[number];

/**
 * Every action the registry records itself. The services can only record these (their event
 * builders take a `RegistryAction`), and the tenant projection (audit-projection.ts) says for
 * each what a tenant may see of it.
 */
export const REGISTRY_ACTIONS = [
  'tenant.created',
  'tenant.updated',
  'tenant.activated',
  'tenant.cancelled',
  'tenant.retired',
  'alias.added',
  'alias.removed',
  'api_key.created',
  'api_key.revoked',
  'api_key.rolled',
  'entitlement.granted',
  'entitlement.revoked',
  'catalog.updated',
  'catalog.requested',
  'trial.started',
  'keycloak.provisioned',
  'keycloak.provision_failed',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
  'webhook.test',
] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/**
 * The registry's own namespaces, present and reserved for what comes (webhooks, audit
 * retention): no append, on either plane, may use an action inside them.
 */
export const REGISTRY_NAMESPACES = [
  'tenant.',
  'alias.',
  'api_key.',
  'entitlement.',
  'catalog.',
  'trial.',
  'keycloak.',
  'webhook.',
  'audit.',
] as const;

/** The actor types the server sets for itself (actor.ts); a tenant may not claim them. */
export const SERVER_ACTOR_TYPES = ['operator', 'service', 'api_key', 'system', 'public'] as const;
export type ServerActorType = (typeof SERVER_ACTOR_TYPES)[number];

/**
 * The form in which names are compared: compatibility-normalized (full-width letters fold),
 * without invisible characters, trimmed, lower case. `Tenant.Activated`, ` tenant.activated`
 * and `ten\u200Bant.activated` read as `tenant.activated` to a person, so they count as it.
 */
function comparable(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .trim()
    .toLowerCase();
}

/** The registry namespace `action` falls in, if any. */
export function registryNamespaceOf(action: string): string | undefined {
  const name = comparable(action);
  return REGISTRY_NAMESPACES.find((ns) => name.startsWith(ns));
}

export function isServerActorType(actorType: string): boolean {
  const name = comparable(actorType);
  return (SERVER_ACTOR_TYPES as readonly string[]).includes(name);
}

/**
 * Refuses an append that would pass for the registry's own record: an action in a registry
 * namespace (from anyone), or a server actor type claimed from the tenant plane.
 */
export function assertAppendable(
  event: { readonly action: string; readonly actor_type?: string },
  origin: Origin,
): void {
  const namespace = registryNamespaceOf(event.action);
  if (namespace !== undefined) throw new ReservedActionError(namespace);
  if (origin === 'tenant' && event.actor_type !== undefined && isServerActorType(event.actor_type)) {
    throw new ReservedActorTypeError(SERVER_ACTOR_TYPES);
  }
}
