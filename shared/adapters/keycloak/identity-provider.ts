import {
  type IdentityProvider,
  type OrganizationRequest,
  type ProvisionedOrganization,
  ProvisioningError,
  type ProvisioningStep,
} from '../../ports/identity-provider';

export interface KeycloakOptions {
  /** Base URL without a trailing slash, e.g. `https://id.example.com`. */
  readonly url: string;
  readonly realm: string;
  /** A confidential client whose service account may manage organizations. */
  readonly clientId: string;
  /** Reads the client secret: on first use, and again after the token endpoint refused it. */
  readonly readSecret: () => Promise<string | undefined>;
  /** Budget for one whole provisioning: token, organization and invite. */
  readonly timeoutMs: number;
}

/**
 * Keycloak's Organizations admin API (Keycloak 26+) over global fetch, no SDK, so the
 * createTenant bundle stays small: a client-credentials token, then
 * `POST /admin/realms/{realm}/organizations` and `POST .../organizations/{id}/members/invite-user`.
 * Creates are rare, so each provisioning fetches its own short-lived token; the client secret is
 * kept per container. Nothing a server answers is copied into an error, only statuses and fixed
 * phrases: they end up in the audit log. See docs/keycloak.md.
 */
export class KeycloakIdentityProvider implements IdentityProvider {
  private secret?: string;

  constructor(private readonly o: KeycloakOptions) {}

  async provisionOrganization(request: OrganizationRequest): Promise<ProvisionedOrganization> {
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    const realm = `${this.o.url}/realms/${encodeURIComponent(this.o.realm)}`;
    const orgs = `${this.o.url}/admin/realms/${encodeURIComponent(this.o.realm)}/organizations`;

    this.secret ??= await this.o.readSecret().catch(() => undefined);
    if (!this.secret) throw new ProvisioningError('credentials', 'client secret unavailable');
    const form = { grant_type: 'client_credentials', client_id: this.o.clientId, client_secret: this.secret };
    const res = await this.post('token', `${realm}/protocol/openid-connect/token`, signal, form);
    const token = ((await res.json().catch(() => ({}))) as { access_token?: unknown }).access_token;
    if (typeof token !== 'string') throw new ProvisioningError('token', 'no access token');

    const organization = {
      name: request.name,
      alias: request.slug,
      enabled: true,
      attributes: { tenant_id: [request.tenantId], it_admin: [request.admin.email.toLowerCase()] },
    };
    const created = await this.post('organization', orgs, signal, organization, token);
    // 201 with the organization's URL in Location and no body.
    const id = created.headers.get('location')?.match(/\/organizations\/([\w-]+)$/)?.[1];
    if (!id) throw new ProvisioningError('organization', 'no organization id');

    const admin = {
      email: request.admin.email,
      ...(request.admin.name && { firstName: request.admin.name }),
    };
    await this.post('invite', `${orgs}/${id}/members/invite-user`, signal, admin, token, id);
    // Keycloak mails the invitation's one-time link and answers 204 without it, so the URL
    // handed back is the realm's account console, where the admin signs in once invited.
    return { organizationId: id, inviteUrl: `${realm}/account` };
  }

  /** One POST: a form without a token, JSON with one, except the invite (a form with one). */
  private async post(
    step: ProvisioningStep,
    url: string,
    signal: AbortSignal,
    body: Record<string, unknown>,
    token?: string,
    organizationId?: string,
  ): Promise<Response> {
    const json = step === 'organization';
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        // A URLSearchParams body brings its own form content type.
        headers: {
          ...(json && { 'content-type': 'application/json' }),
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body: json ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>),
        redirect: 'error',
        signal,
      });
    } catch {
      throw new ProvisioningError(
        step,
        signal.aborted ? 'timed out' : 'unreachable',
        undefined,
        organizationId,
      );
    }
    if (res.ok) return res;
    await res.body?.cancel();
    // A refused secret may have been rotated: read it afresh next time.
    if (step === 'token') this.secret = undefined;
    const reason = res.status === 409 ? 'already exists' : `answered ${res.status}`;
    throw new ProvisioningError(step, reason, res.status, organizationId);
  }
}
