/**
 * Domain errors: a stable `code` and a message fit for the caller, no HTTP inside.
 * `shared/http/errors.ts` maps codes to statuses in one table.
 */
export class DomainError extends Error {
  /** Fields the error body carries beside `error` and `message` (each documented in openapi.yaml). */
  readonly fields: Readonly<Record<string, string>> = {};

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}

/** An appended action inside one of the registry's own namespaces (audit-events.ts). */
export class ReservedActionError extends DomainError {
  constructor(namespace: string) {
    super(
      'reserved_action',
      `action: '${namespace}*' is the registry's own namespace; appended events need an action outside it`,
    );
  }
}

/** A tenant claiming an actor type the server uses for itself (audit-events.ts). */
export class ReservedActorTypeError extends DomainError {
  constructor(reserved: readonly string[]) {
    super(
      'reserved_actor_type',
      `actor_type: ${reserved.join(', ')} are set by the registry itself, never by a tenant`,
    );
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class TenantNotFoundError extends NotFoundError {
  constructor() {
    super('tenant not found');
  }
}

export class AliasNotFoundError extends NotFoundError {
  constructor(slug: string) {
    super(`'${slug}' is not an alias of this tenant`);
  }
}

export class SlugTakenError extends DomainError {
  constructor(slug: string) {
    super('slug_taken', `slug '${slug}' is already in use`);
  }
}

/**
 * The slug was removed from a tenant (an alias, or a retired tenant's slugs) and is in its
 * quarantine: only that tenant may take it back before `quarantine_until`. Operators only: the
 * tenant plane claims no slugs, so no tenant learns another's aliases this way.
 */
export class SlugQuarantinedError extends DomainError {
  declare readonly fields: Readonly<{ quarantine_until: string }>;

  constructor(slug: string, quarantineUntil: string) {
    super(
      'slug_quarantined',
      `slug '${slug}' is quarantined until ${quarantineUntil} for the tenant it was removed from`,
    );
    (this as { fields: object }).fields = { quarantine_until: quarantineUntil };
  }
}

export class AliasLimitError extends DomainError {
  constructor(max: number) {
    super('alias_limit', `a tenant can have at most ${max} active aliases`);
  }
}

export class PrimaryAliasError extends DomainError {
  constructor() {
    super('primary_alias', 'the primary slug cannot be removed');
  }
}

export class InvalidTransitionError extends DomainError {
  constructor(message: string) {
    super('invalid_transition', message);
  }
}

/** The caller's If-Match no longer names the current version. */
export class StaleVersionError extends DomainError {
  constructor() {
    super('precondition_failed', 'the tenant changed since it was read; fetch it again for a fresh ETag');
  }
}

/** Lost a race against another writer of the same records, even after retrying. */
export class ConcurrentUpdateError extends DomainError {
  constructor() {
    super('conflict', 'the record is being changed by another request; retry');
  }
}

/**
 * An audited write lost the race for its chain's head (a busy tenant) on every attempt within
 * the write budget, and committed nothing: retry after `retryAfterSeconds` (503 with
 * `Retry-After`). Never a 409: contention is the registry's load, not the caller's conflict.
 */
export class ChainBusyError extends DomainError {
  readonly retryAfterSeconds = 1;

  constructor(budgetMs: number) {
    super(
      'service_unavailable',
      `the audit chain is busy: this write lost every race for its head within ${budgetMs} ms and committed nothing; retry after 1 second`,
    );
  }
}

export class IdempotencyMismatchError extends DomainError {
  constructor() {
    super('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
  }
}

export class IdempotencyInProgressError extends DomainError {
  constructor() {
    super(
      'idempotency_in_progress',
      'a request with this Idempotency-Key is being processed; retry to receive its response',
    );
  }
}

export class ProductNotFoundError extends NotFoundError {
  constructor(product: string) {
    super(`product '${product}' is not in the catalog`);
  }
}

export class EntitlementNotFoundError extends NotFoundError {
  constructor(product: string) {
    super(`the tenant has no entitlement to '${product}'`);
  }
}

/** Catalog, entitlement and trial rules that refuse a request as things stand (409). */
export class CatalogRuleError extends DomainError {
  constructor(
    code: 'tenant_inactive' | 'trial_unavailable' | 'plan_not_eligible' | 'trial_used' | 'already_entitled',
    message: string,
  ) {
    super(code, message);
  }
}
