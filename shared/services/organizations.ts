import type { RegistryAction } from '../domain/audit-events';
import type { IdempotencyClaim } from '../domain/idempotency';
import type { Tenant } from '../domain/tenant';
import { logger } from '../observability/logger';
import { type IdentityProvider, ProvisioningError } from '../ports/identity-provider';
import type { TenantWriter, UnitOfWork } from '../ports/tenant-store';
import { type Actor, systemActor, tenantEvent } from './actor';

/** The admin to invite into a new tenant's organization. */
export interface TenantAdmin {
  readonly email: string;
  readonly name?: string;
}

/**
 * A new tenant's organization in the identity provider, with its admin invited as IT_ADMIN.
 * Runs after the tenant is committed and never undoes it: a failure is the audit event
 * `keycloak.provision_failed` (step and reason, never a credential) and a create without
 * `invite_url`; a success is `keycloak.provisioned` (the organization id), committed together
 * with the create's stored idempotent response, which then carries `invite_url` too. Both are
 * the registry's own record of Keycloak's answer: origin `system`, the operator who created the
 * tenant as the actor.
 */
export class OrganizationProvisioning {
  constructor(
    private readonly idp: IdentityProvider,
    private readonly store: TenantWriter,
  ) {}

  /** The invite URL, or undefined when provisioning failed. */
  async provision(
    tenant: Tenant,
    admin: TenantAdmin,
    actor: Actor,
    replay?: { readonly claim: IdempotencyClaim; readonly body: (inviteUrl: string) => unknown },
  ): Promise<string | undefined> {
    let action: RegistryAction = 'keycloak.provisioned';
    let metadata: Record<string, unknown>;
    let inviteUrl: string | undefined;
    let idempotentResponse: UnitOfWork['idempotentResponse'];
    try {
      const org = await this.idp.provisionOrganization({
        tenantId: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        admin,
      });
      inviteUrl = org.inviteUrl;
      metadata = { organization_id: org.organizationId };
      idempotentResponse = replay && { ...replay.claim, body: replay.body(inviteUrl) };
    } catch (error) {
      const e =
        error instanceof ProvisioningError ? error : new ProvisioningError('organization', 'unexpected');
      action = 'keycloak.provision_failed';
      metadata = { step: e.step, reason: e.reason, http_status: e.status, organization_id: e.organizationId };
      logger.warn('keycloak provisioning failed', { event: action, tenant_id: tenant.id, ...metadata });
    }
    // The tenant exists whatever happens here: an outcome that cannot be recorded is logged.
    await this.store
      .commit({ audit: tenantEvent(systemActor(actor), action, tenant, metadata), idempotentResponse })
      .catch((error: Error) =>
        logger.error('keycloak outcome not recorded', {
          event: 'keycloak.record_failed',
          action,
          tenant_id: tenant.id,
          error: error.name,
        }),
      );
    return inviteUrl;
  }
}
