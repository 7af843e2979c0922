import type { TenantSelectionConfig } from '../config/env';
import type { ApiKey, Scope } from '../domain/api-key';
import { DomainError, ValidationError } from '../domain/errors';
import { activeAliases, type Tenant } from '../domain/tenant';
import { isTenantUuid, type SelectionInput, selectTenant } from '../domain/tenant-selection';
import type { TenantStore } from '../ports/tenant-store';
import type { AliasResolver } from './alias-resolver';
import type { ApiKeyVerifier } from './api-keys';

/** Who is calling the tenant plane, about which tenant, as the request named it. */
export interface TenantCaller {
  readonly key: ApiKey;
  readonly tenant: Tenant;
  /** The name the request used (slug, alias or UUID), or the primary slug when it named none. */
  readonly name: string;
}

export type RejectionReason = 'invalid_credential' | 'tenant_mismatch';

/** The credential is not a live tenant key (or the key names a tenant it does not belong to). */
export class CredentialRejectedError extends DomainError {
  constructor(
    readonly reason: RejectionReason,
    /** With `tenant_mismatch`: the caller's own key, for the operators' log line. */
    readonly keyId?: string,
  ) {
    super(
      reason === 'invalid_credential' ? 'unauthorized' : 'forbidden',
      reason === 'invalid_credential'
        ? 'the API key is not valid'
        : 'the API key does not belong to the tenant named in the request',
    );
  }
}

/** A name in the path that no tenant can have: answered like an unknown route by the HTTP layer. */
export class NoSuchTenantRouteError extends DomainError {
  constructor() {
    super('not_found', 'no such route');
  }
}

const conflict = (header: string) =>
  new DomainError(
    'tenant_conflict',
    `the path and the ${header} header or tenant_id query parameter name different tenants; send only the path, or make them name the same tenant`,
  );

export interface AccessRequest extends SelectionInput {
  /** The presented API key (already taken from its header). */
  readonly key: string;
  readonly scope: Scope;
  /** Whether the operation changes anything (a frozen tenant may only read). */
  readonly writes: boolean;
}

/**
 * The tenant plane's admission, in this order:
 * 1. the key must be a live tenant key (401);
 * 2. the request must name a tenant as the selection rules say (400 missing/malformed; a path
 *    segment no tenant can have is 404 like an unknown route);
 * 3. the names the request sends (path, header, query) are compared with the key's tenant,
 *    from names alone: none of them is the key's tenant -> 403; some are and some are not ->
 *    400 `tenant_conflict`. Only "is it the key's tenant?" is ever asked of a name, so a name
 *    of another tenant and a name of no tenant get the same answer: a key cannot tell "exists
 *    but not yours" from "does not exist", nor whether two foreign names are one tenant;
 * 4. the key's tenant must be among the allowed tenants, if any are configured (403): asked
 *    only about the caller's own tenant, so it says nothing about any other;
 * 5. the key must hold the operation's scope (403);
 * 6. the tenant is read: archived -> 401 (its keys are invalid); a slug named that it no longer
 *    holds (the alias cache lagging a removal made in another container) counts as a name of
 *    another tenant in step 3's rule; frozen and writing -> 403.
 */
export class TenantAccess {
  constructor(
    private readonly keys: Pick<ApiKeyVerifier, 'authenticate'>,
    private readonly resolver: Pick<AliasResolver, 'resolve' | 'forget'>,
    private readonly tenants: Pick<TenantStore, 'getTenant'>,
    private readonly settings: TenantSelectionConfig,
  ) {}

  async admit(request: AccessRequest): Promise<TenantCaller> {
    const key = await this.keys.authenticate(request.key);
    if (!key) throw new CredentialRejectedError('invalid_credential');

    const selection = selectTenant(request, this.settings);
    switch (selection.kind) {
      case 'no-route':
        throw new NoSuchTenantRouteError();
      case 'missing':
        throw new DomainError('tenant_required', selection.message);
      case 'malformed':
        throw new ValidationError(selection.message);
    }
    const names = selection.kind === 'named' ? [selection.name, ...selection.alsoNamed] : [];
    const ids = await Promise.all(names.map((n) => this.idOf(n)));
    this.judge(
      ids.map((id) => id === key.tenant_id),
      key.id,
    );
    if (!(await this.isAllowed(key.tenant_id))) {
      throw new DomainError('tenant_not_allowed', 'this deployment does not serve the named tenant');
    }
    if (!key.scopes.includes(request.scope)) {
      throw new DomainError('scope_missing', `the API key lacks the scope ${request.scope}`);
    }

    const tenant = await this.tenants.getTenant(key.tenant_id);
    if (!tenant || tenant.status === 'archived') throw new CredentialRejectedError('invalid_credential');
    // The cache may still hold a slug the tenant has since lost (removed in another container):
    // the tenant just read decides, so a removed alias names nobody from the next request on.
    this.judge(
      names.map((n) => this.holds(tenant, n)),
      key.id,
    );
    if (request.writes && tenant.status === 'frozen') {
      throw new DomainError('tenant_frozen', 'the tenant is frozen: it can read but not change anything');
    }
    return { key, tenant, name: names[0] ?? tenant.slug };
  }

  /**
   * Step 3's rule over "does this name (path first, then header, then query) name the key's
   * tenant?": none -> 403, some -> 400, all (or nothing named) -> admitted. Nothing else about a
   * name may decide the answer.
   */
  private judge(own: readonly boolean[], keyId: string): void {
    // `every` of an empty list is true: nothing named is admitted here too.
    if (own.every(Boolean)) return;
    if (!own.some(Boolean)) throw new CredentialRejectedError('tenant_mismatch', keyId);
    throw conflict(this.settings.header);
  }

  /** Whether `name` is the tenant's UUID or one of its active aliases; a stale cache entry is dropped. */
  private holds(tenant: Tenant, name: string): boolean {
    if (isTenantUuid(name)) return name === tenant.id;
    if (activeAliases(tenant).some((a) => a.slug === name)) return true;
    this.resolver.forget(name);
    return false;
  }

  /** A UUID names itself; a slug resolves through the cached alias map. */
  private async idOf(name: string): Promise<string | undefined> {
    return isTenantUuid(name) ? name : this.resolver.resolve(name);
  }

  /** Allowed-tenant entries resolve through the same cache as request names, so new aliases count. */
  private async isAllowed(tenantId: string): Promise<boolean> {
    const allowed = this.settings.allowedTenants;
    if (allowed.length === 0) return true;
    if (allowed.includes(tenantId)) return true;
    // A UUID entry names itself (idOf reads nothing for it); a slug entry goes through the cache.
    const ids = await Promise.all(allowed.map((n) => this.idOf(n)));
    return ids.includes(tenantId);
  }
}
