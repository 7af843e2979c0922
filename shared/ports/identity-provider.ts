/** A tenant's organization in the identity provider, and the admin invited into it. */
export interface OrganizationRequest {
  readonly tenantId: string;
  /** The tenant's primary slug: the organization's alias. */
  readonly slug: string;
  readonly name: string;
  readonly admin: { readonly email: string; readonly name?: string };
}

export interface ProvisionedOrganization {
  readonly organizationId: string;
  /** Where the invited admin goes next (see docs/keycloak.md for what Keycloak hands out). */
  readonly inviteUrl: string;
}

/** The step that failed, for the audit trail. */
export type ProvisioningStep = 'credentials' | 'token' | 'organization' | 'invite';

/**
 * A provisioning that did not finish. `reason` is written to the audit log, so it never holds
 * a credential or a response body: a fixed phrase, an HTTP status, an error name.
 */
export class ProvisioningError extends Error {
  constructor(
    readonly step: ProvisioningStep,
    readonly reason: string,
    readonly status?: number,
    /** Set when the organization exists but a later step failed. */
    readonly organizationId?: string,
  ) {
    super(reason);
  }
}

/**
 * Organizations in an identity provider (Keycloak). Throws ProvisioningError, and nothing
 * else, when any step fails or the time budget runs out.
 */
export interface IdentityProvider {
  provisionOrganization(request: OrganizationRequest): Promise<ProvisionedOrganization>;
}
