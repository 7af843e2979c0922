import type { AuditInput } from '../domain/audit';
import type { Tenant } from '../domain/tenant';

/** Who asked, for the audit trail. */
export interface Actor {
  readonly actor_id: string;
  readonly actor_type: string;
  readonly source_ip?: string;
  readonly user_agent?: string;
  readonly request_id?: string;
}

/** The audit event of a change to `tenant` (as it was before the change). */
export function tenantEvent(
  actor: Actor,
  action: string,
  tenant: Tenant,
  metadata: Record<string, unknown>,
): AuditInput {
  return {
    tenant_id: tenant.id,
    actor_id: actor.actor_id,
    actor_type: actor.actor_type,
    action,
    target_id: tenant.id,
    target_type: 'tenant',
    target_name: tenant.name,
    metadata: { ...metadata, ...(actor.request_id ? { request_id: actor.request_id } : {}) },
    ...(actor.source_ip ? { source_ip: actor.source_ip } : {}),
    ...(actor.user_agent ? { user_agent: actor.user_agent } : {}),
  };
}
