import type { AuditInput } from '../domain/audit';
import type { Origin, RegistryAction, ServerActorType } from '../domain/audit-events';
import type { Tenant } from '../domain/tenant';

/** Who asked, for the audit trail: built by the authentication middleware, never from input. */
export interface Actor {
  readonly actor_id: string;
  readonly actor_type: ServerActorType;
  /** The plane of the credential; `system` for what the registry records on its own. */
  readonly origin: Origin;
  /** Tenant plane: the API key that authenticated the request. */
  readonly key_id?: string;
  readonly source_ip?: string;
  readonly user_agent?: string;
  readonly request_id?: string;
}

/** What the server records about who wrote an event: from the credential, never from the body. */
export function actorFields(
  actor: Actor,
): Pick<AuditInput, 'actor_id' | 'actor_type' | 'origin' | 'key_id' | 'source_ip' | 'user_agent'> {
  return {
    actor_id: actor.actor_id,
    actor_type: actor.actor_type,
    ...writerFields(actor),
  };
}

/** Where an event came from and the request behind it: set on every event, appended ones too. */
export function writerFields(
  actor: Actor,
): Pick<AuditInput, 'origin' | 'key_id' | 'source_ip' | 'user_agent'> {
  return {
    origin: actor.origin,
    ...(actor.key_id ? { key_id: actor.key_id } : {}),
    ...(actor.source_ip ? { source_ip: actor.source_ip } : {}),
    ...(actor.user_agent ? { user_agent: actor.user_agent } : {}),
  };
}

/**
 * The registry acting on its own in consequence of `cause`'s request (Keycloak's answer to a
 * create): the cause stays the actor, the registry is the origin.
 */
export function systemActor(cause: Actor): Actor {
  const { key_id: _key, ...rest } = cause;
  return { ...rest, origin: 'system' };
}

/** An event the registry records itself: only a `RegistryAction`, with the actor's fields. */
export function registryEvent(
  actor: Actor,
  action: RegistryAction,
  event: Omit<AuditInput, 'action' | keyof ReturnType<typeof actorFields> | 'nonce'>,
): AuditInput {
  return {
    ...event,
    ...actorFields(actor),
    action,
    metadata: { ...event.metadata, ...(actor.request_id ? { request_id: actor.request_id } : {}) },
  };
}

/** The audit event of a change to `tenant` (as it was before the change). */
export function tenantEvent(
  actor: Actor,
  action: RegistryAction,
  tenant: Tenant,
  metadata: Record<string, unknown>,
): AuditInput {
  return registryEvent(actor, action, {
    tenant_id: tenant.id,
    target_id: tenant.id,
    target_type: 'tenant',
    target_name: tenant.name,
    metadata,
  });
}
