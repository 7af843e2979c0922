import { randomBytes } from 'node:crypto';
import { type AuditEvent, type AuditInput, canonicalJson } from './audit';
import { type RegistryAction, registryNamespaceOf } from './audit-events';
import { shownInProfile, type Tenant } from './tenant';

/**
 * The tenant projection: what a tenant may see of an event on its own chain. Everything that
 * leaves the registry toward a tenant (its audit list today; exports and webhooks) goes
 * through `tenantAuditView`, and nothing else decides it. The stored event is never changed:
 * the projection is made on read, so the chain still verifies.
 *
 * - Registry events show the metadata keys their type declares below, each only if the
 *   profile shows what it holds (tenant.ts `PROFILE_WITHHELD`): a key not declared is
 *   withheld, so a field added to an event later stays the operators' until it is declared.
 * - The request context (`source_ip`, `user_agent`, `metadata.request_id`) is shown only for
 *   the tenant's own requests (`origin: tenant`): an operator's address and client are theirs.
 * - Products' own event types show their metadata as the writer wrote it: an event appended
 *   to a tenant's chain is written for that tenant to read.
 * - An action in a registry namespace that has no declaration (an event forged before appends
 *   were checked, or a type this version does not know) shows no metadata.
 * - Fields outside the envelope (`nonce`, anything unknown) are withheld.
 *
 * A view that withholds anything says so (`redacted: true`): its hash cannot be recomputed
 * from what is shown, though its links still can.
 */

/** A metadata value as a tenant sees it, or WITHHELD. */
type Rule = (value: unknown) => unknown;
const WITHHELD: unique symbol = Symbol('withheld');
const shown: Rule = (value) => value;
/** The value of a profile field: shown exactly when the tenant's profile shows that field. */
const profile =
  (field: keyof Tenant): Rule =>
  (value) =>
    shownInProfile(field) ? value : WITHHELD;
/** A list of profile field names (what a PATCH changed): the names the profile shows. */
const profileFieldNames: Rule = (value) =>
  Array.isArray(value) ? value.filter((f) => typeof f === 'string' && shownInProfile(f)) : WITHHELD;

/** A list of webhook endpoint field names (what a PATCH changed). */
const WEBHOOK_FIELDS = ['url', 'events', 'description', 'status'];
const webhookFieldNames: Rule = (value) =>
  Array.isArray(value) ? value.filter((f) => typeof f === 'string' && WEBHOOK_FIELDS.includes(f)) : WITHHELD;

/** Per registry action, each metadata key the services write and what it holds. */
const METADATA: { readonly [A in RegistryAction]: Readonly<Record<string, Rule>> } = {
  'tenant.created': { slug: profile('slug'), kind: profile('kind'), plan: profile('plan') },
  'tenant.updated': { fields: profileFieldNames, audit_retention_days: profile('audit_retention_days') },
  'tenant.activated': {
    from: profile('status'),
    plan: profile('plan'),
    contract_start: profile('contract_start'),
    contract_end: profile('contract_end'),
    erp_customer_id: profile('erp_customer_id'),
  },
  'tenant.cancelled': {
    from: profile('status'),
    reason: profile('cancel_reason'),
    at_period_end: profile('cancel_at_period_end'),
  },
  'tenant.retired': { from: profile('status'), quarantine_until: shown },
  'alias.added': { slug: profile('aliases') },
  'alias.removed': { slug: profile('aliases'), quarantine_until: shown },
  'api_key.created': { prefix: shown, scopes: shown, expires_at: shown },
  'api_key.revoked': { prefix: shown, scopes: shown, expires_at: shown, revoked_at: shown },
  'api_key.rolled': {
    prefix: shown,
    scopes: shown,
    expires_at: shown,
    key_id: shown,
    rolled_from: shown,
    previous_prefix: shown,
    previous_expires_at: shown,
    overlap_seconds: shown,
  },
  'entitlement.granted': { expires_at: shown, config_changed: shown, was: shown },
  'entitlement.revoked': { trial: shown, expired: shown },
  'catalog.updated': { created: shown, supports_trial: shown, plans_required: shown, paths: shown },
  'catalog.requested': { plan: profile('plan'), tenant_status: profile('status'), plan_eligible: shown },
  'trial.started': { expires_at: shown, plan: profile('plan') },
  // The organization is the tenant's own; why a provisioning failed is the operators' to debug.
  'keycloak.provisioned': { organization_id: shown },
  'keycloak.provision_failed': { organization_id: shown },
  // A tenant's own endpoints: what it configured. No event of these ever holds a signing secret.
  'webhook.created': { url: shown, events: shown, description: shown, status: shown },
  'webhook.updated': { fields: webhookFieldNames, status: shown },
  'webhook.deleted': { url: shown },
  'webhook.secret_rotated': { previous_expires_at: shown },
  'webhook.disabled': { disabled_reason: shown, status_code: shown },
  'webhook.test': { delivery_id: shown },
};

/** The fields of an event a tenant sees, request context aside. */
const ENVELOPE = [
  'id',
  'created_at',
  'prev_hash',
  'hash',
  'tenant_id',
  'project_id',
  'actor_id',
  'actor_name',
  'actor_type',
  'action',
  'target_id',
  'target_type',
  'target_name',
  'product',
  'origin',
  'key_id',
] as const;
/** The request behind an event: shown for the tenant's own requests only. */
const REQUEST_CONTEXT = ['source_ip', 'user_agent'] as const;
const REQUEST_METADATA = ['request_id'] as const;

/** An event as a tenant sees it. */
export type TenantAuditEvent = Omit<AuditEvent, 'nonce' | 'source_ip' | 'user_agent'> & {
  readonly source_ip?: string;
  readonly user_agent?: string;
  /** Something was withheld: the hash covers more than is shown. */
  readonly redacted?: true;
};

const isRegistryAction = (action: string): action is RegistryAction => Object.hasOwn(METADATA, action);

/** The metadata of an event as the tenant whose chain it is on may see it (also in its events). */
export function tenantMetadataView(
  action: string,
  metadata: Readonly<Record<string, unknown>>,
  ownRequest: boolean,
): Record<string, unknown> {
  if (!isRegistryAction(action)) return registryNamespaceOf(action) === undefined ? { ...metadata } : {};
  const rules = METADATA[action];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    const rule: Rule | undefined = Object.hasOwn(rules, key)
      ? rules[key]
      : ownRequest && (REQUEST_METADATA as readonly string[]).includes(key)
        ? shown
        : undefined;
    const view = rule ? rule(value) : WITHHELD;
    if (view !== WITHHELD) Object.defineProperty(out, key, { value: view, enumerable: true, writable: true });
  }
  return out;
}

function project(event: AuditInput & Partial<AuditEvent>): {
  view: Record<string, unknown>;
  redacted: boolean;
} {
  const ownRequest = event.origin === 'tenant';
  const fields: readonly string[] = ownRequest ? [...ENVELOPE, ...REQUEST_CONTEXT] : ENVELOPE;
  const source = event as unknown as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  let redacted = false;
  for (const [field, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (field === 'metadata') continue;
    if (fields.includes(field)) view[field] = value;
    else redacted = true;
  }
  if (event.metadata !== undefined) {
    const metadata = tenantMetadataView(event.action, event.metadata, ownRequest);
    view.metadata = metadata;
    if (canonicalJson(metadata) !== canonicalJson(event.metadata)) redacted = true;
  }
  return { view, redacted };
}

/** The event as the tenant whose chain it is on may see it. */
export function tenantAuditView(event: AuditEvent): TenantAuditEvent {
  const { view, redacted } = project(event);
  return (redacted ? { ...view, redacted: true } : view) as unknown as TenantAuditEvent;
}

/**
 * The event to seal: with a random `nonce` when it is on a tenant's chain and the tenant's
 * view of it withholds something (a hidden field may be one of few values, such as a sales
 * owner's name; without the nonce, the shown hash would confirm a right guess).
 */
export function sealable(input: AuditInput, random: () => Buffer = () => randomBytes(16)): AuditInput {
  if (input.tenant_id === undefined || input.nonce !== undefined || !project(input).redacted) return input;
  return { ...input, nonce: random().toString('base64url') };
}
