import fc from 'fast-check';
import { InvalidTransitionError } from '../../shared/domain/errors';
import {
  type AliasRecord,
  activate,
  activeAliases,
  addAlias,
  aliasView,
  applyPatch,
  cancel,
  MAX_ALIAS_HISTORY,
  newTenant,
  removeAlias,
  retire,
  TENANT_KINDS,
  TENANT_STATUSES,
  type Tenant,
  type TenantStatus,
  TRIAL_DAYS,
  tenantProfileView,
  tenantView,
} from '../../shared/domain/tenant';

const DAY = 86_400_000;
const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-02T11:30:00.000Z');
const QUARANTINE = new Date('2025-04-01T11:30:00.000Z');

function tenantIn(status: TenantStatus, overrides: Partial<Tenant> = {}): Tenant {
  return { ...newTenant('t-1', { slug: 'acme', name: 'Acme' }, T0), status, ...overrides };
}

/** Deep-freezes a tenant so any in-place change by the domain functions throws. */
function frozenCopy(tenant: Tenant): Tenant {
  const copy = structuredClone(tenant) as Tenant;
  for (const alias of copy.aliases) Object.freeze(alias);
  Object.freeze(copy.aliases);
  return Object.freeze(copy);
}

describe('newTenant', () => {
  it('starts a customer tenant on a 14-day trial with the defaults', () => {
    const t = newTenant('t-1', { slug: 'acme', name: 'Acme' }, T0);
    expect(TRIAL_DAYS).toBe(14);
    expect(t).toEqual({
      id: 't-1',
      slug: 'acme',
      name: 'Acme',
      status: 'trial',
      kind: 'customer',
      plan: 'starter',
      trial_ends_at: new Date(T0.getTime() + 14 * DAY).toISOString(),
      contract_start: null,
      contract_end: null,
      active_components: [],
      active_record_types: [],
      settings: {},
      aliases: [{ slug: 'acme', primary: true, created_at: T0.toISOString() }],
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
      version: 1,
    });
    expect(t.trial_ends_at).toBe('2025-03-15T10:00:00.000Z');
  });

  it('treats an explicit customer kind like the default', () => {
    const t = newTenant('t-1', { slug: 'acme', name: 'Acme', kind: 'customer' }, T0);
    expect(t.status).toBe('trial');
    expect(t.trial_ends_at).toBe('2025-03-15T10:00:00.000Z');
  });

  it('starts a demo tenant in demo status without a trial end', () => {
    const t = newTenant('t-2', { slug: 'demo-co', name: 'Demo', kind: 'demo' }, T0);
    expect(t.status).toBe('demo');
    expect(t.kind).toBe('demo');
    expect(t.trial_ends_at).toBeNull();
  });

  it('keeps the optional inputs and leaves absent ones out entirely', () => {
    const t = newTenant(
      't-3',
      {
        slug: 'acme',
        name: 'Acme',
        plan: 'enterprise',
        sales_owner: 'sam',
        erp_customer_id: 'E-1',
        active_components: ['billing'],
        active_record_types: ['invoice'],
        settings: { locale: 'de' },
      },
      T0,
    );
    expect(t).toMatchObject({
      plan: 'enterprise',
      sales_owner: 'sam',
      erp_customer_id: 'E-1',
      active_components: ['billing'],
      active_record_types: ['invoice'],
      settings: { locale: 'de' },
    });
    const bare = newTenant('t-4', { slug: 'acme', name: 'Acme' }, T0);
    expect('sales_owner' in bare).toBe(false);
    expect('erp_customer_id' in bare).toBe(false);
  });
});

type Operation = 'activate' | 'cancel' | 'retire';

const operations: Record<Operation, (t: Tenant) => Tenant> = {
  activate: (t) => activate(t, { plan: 'pro' }, T1),
  cancel: (t) => cancel(t, { reason: 'budget' }, T1),
  retire: (t) => retire(t, QUARANTINE, T1),
};

/** The lifecycle: the status an operation leads to, or null where it is not allowed. */
const LIFECYCLE: Record<TenantStatus, Record<Operation, TenantStatus | null>> = {
  demo: { activate: 'active', cancel: 'frozen', retire: 'archived' },
  trial: { activate: 'active', cancel: 'frozen', retire: 'archived' },
  active: { activate: null, cancel: 'frozen', retire: 'archived' },
  frozen: { activate: 'active', cancel: null, retire: 'archived' },
  archived: { activate: null, cancel: null, retire: null },
};

const TRANSITIONS = TENANT_STATUSES.flatMap((from) =>
  (Object.keys(operations) as Operation[]).map((op) => ({ from, op, to: LIFECYCLE[from][op] })),
);

describe('lifecycle transitions', () => {
  it('covers every status and operation', () => {
    expect(TRANSITIONS).toHaveLength(TENANT_STATUSES.length * 3);
  });

  it.each(TRANSITIONS.filter((t) => t.to !== null))('$op from $from -> $to', ({ from, op, to }) => {
    const before = frozenCopy(tenantIn(from, { version: 7 }));
    const after = operations[op](before);
    expect(after.status).toBe(to);
    expect(after.version).toBe(8);
    expect(after.updated_at).toBe(T1.toISOString());
    expect(after.created_at).toBe(before.created_at);
    expect(after.id).toBe(before.id);
    expect(before.status).toBe(from);
  });

  it.each(TRANSITIONS.filter((t) => t.to === null))('$op from $from is refused', ({ from, op }) => {
    const before = frozenCopy(tenantIn(from, { version: 7 }));
    let caught: unknown;
    try {
      operations[op](before);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidTransitionError);
    expect((caught as InvalidTransitionError).code).toBe('invalid_transition');
    expect(before.version).toBe(7);
  });

  it('records the activation terms', () => {
    const t = activate(
      tenantIn('trial'),
      { plan: 'pro', contract_start: '2025-03-02', contract_end: '2026-03-01', erp_customer_id: 'E-9' },
      T1,
    );
    expect(t).toMatchObject({
      status: 'active',
      plan: 'pro',
      contract_start: '2025-03-02',
      contract_end: '2026-03-01',
      erp_customer_id: 'E-9',
    });
  });

  it('records the cancellation reason and timing, and only when given', () => {
    const t = cancel(tenantIn('active'), { reason: 'budget', at_period_end: true }, T1);
    expect(t).toMatchObject({ status: 'frozen', cancel_reason: 'budget', cancel_at_period_end: true });
    const bare = cancel(tenantIn('active'), {}, T1);
    expect('cancel_reason' in bare).toBe(false);
    expect('cancel_at_period_end' in bare).toBe(false);
  });

  it('retiring puts every active alias into quarantine and keeps earlier retirements as they were', () => {
    const earlier: AliasRecord = {
      slug: 'old-acme',
      primary: false,
      created_at: T0.toISOString(),
      retired_at: '2025-03-01T12:00:00.000Z',
      quarantine_until: '2025-03-31T12:00:00.000Z',
    };
    const t = tenantIn('active', {
      aliases: [
        { slug: 'acme', primary: true, created_at: T0.toISOString() },
        { slug: 'acme-eu', primary: false, created_at: T0.toISOString() },
        earlier,
      ],
    });
    const archived = retire(t, QUARANTINE, T1);
    expect(activeAliases(archived)).toEqual([]);
    expect(archived.aliases).toEqual([
      { ...t.aliases[0], retired_at: T1.toISOString(), quarantine_until: QUARANTINE.toISOString() },
      { ...t.aliases[1], retired_at: T1.toISOString(), quarantine_until: QUARANTINE.toISOString() },
      earlier,
    ]);
    expect(tenantView(archived).aliases).toEqual([]);
  });
});

describe('archived is terminal', () => {
  // Made inside each test: code run while Jest collects tests counts for none of them.
  const archived = () => frozenCopy(retire(tenantIn('active'), QUARANTINE, T1));
  const everyOperation: Array<[string, (t: Tenant) => Tenant]> = [
    ['activate', operations.activate],
    ['cancel', operations.cancel],
    ['retire', operations.retire],
    ['applyPatch', (t) => applyPatch(t, { name: 'New name' }, T1)],
    ['applyPatch (empty)', (t) => applyPatch(t, {}, T1)],
    ['addAlias', (t) => addAlias(t, 'acme-new', T1)],
    ['addAlias (own retired slug)', (t) => addAlias(t, 'acme', T1)],
    ['removeAlias', (t) => removeAlias(t, 'acme', QUARANTINE, T1)],
  ];

  it.each(everyOperation)('%s throws InvalidTransitionError', (_name, operation) => {
    const tenant = archived();
    expect(() => operation(tenant)).toThrow(InvalidTransitionError);
  });
});

describe('applyPatch', () => {
  it('replaces the fields given, bumps the version and touches updated_at', () => {
    const before = frozenCopy(tenantIn('active', { version: 3, settings: { a: 1, b: 2 } }));
    const after = applyPatch(before, { name: 'Acme GmbH', settings: { c: 3 } }, T1);
    expect(after).toEqual({
      ...before,
      name: 'Acme GmbH',
      settings: { c: 3 },
      version: 4,
      updated_at: T1.toISOString(),
    });
  });

  it('audit_retention_days: a number is kept, null goes back to the default (the field is left out), absent leaves it', () => {
    const set = applyPatch(frozenCopy(tenantIn('active')), { audit_retention_days: 90 }, T1);
    expect(set.audit_retention_days).toBe(90);
    expect(set.version).toBe(2);
    expect(set.updated_at).toBe(T1.toISOString());
    const kept = applyPatch(frozenCopy(set), { name: 'Acme GmbH' }, T1);
    expect(kept).toMatchObject({ name: 'Acme GmbH', audit_retention_days: 90, version: 3 });
    const reset = applyPatch(frozenCopy(set), { audit_retention_days: null }, T1);
    expect('audit_retention_days' in reset).toBe(false);
    expect(reset.version).toBe(3);
    expect(reset.updated_at).toBe(T1.toISOString());
    expect(applyPatch(frozenCopy(set), { audit_retention_days: 3650 }, T1).audit_retention_days).toBe(3650);
  });

  it('is allowed in every status but archived', () => {
    for (const status of TENANT_STATUSES.filter((s) => s !== 'archived')) {
      expect(applyPatch(tenantIn(status), { sales_owner: 'kim' }, T1).sales_owner).toBe('kim');
    }
  });
});

describe('aliases', () => {
  it('adds an alias as a non-primary, active record', () => {
    const before = frozenCopy(tenantIn('active'));
    const after = addAlias(before, 'acme-eu', T1);
    expect(after.version).toBe(before.version + 1);
    expect(after.aliases).toEqual([
      { slug: 'acme', primary: true, created_at: T0.toISOString() },
      { slug: 'acme-eu', primary: false, created_at: T1.toISOString() },
    ]);
    expect(tenantView(after).aliases).toEqual(['acme', 'acme-eu']);
  });

  it('adding an alias twice keeps one record', () => {
    const t = addAlias(addAlias(tenantIn('active'), 'acme-eu', T0), 'acme-eu', T1);
    expect(t.aliases.filter((a) => a.slug === 'acme-eu')).toHaveLength(1);
  });

  it('removing an alias retires it at once and starts its quarantine', () => {
    const t = addAlias(tenantIn('active'), 'acme-eu', T0);
    const after = removeAlias(t, 'acme-eu', QUARANTINE, T1);
    expect(after.version).toBe(t.version + 1);
    expect(after.aliases.find((a) => a.slug === 'acme-eu')).toEqual({
      slug: 'acme-eu',
      primary: false,
      created_at: T0.toISOString(),
      retired_at: T1.toISOString(),
      quarantine_until: QUARANTINE.toISOString(),
    });
    expect(activeAliases(after).map((a) => a.slug)).toEqual(['acme']);
    expect(tenantView(after).aliases).toEqual(['acme']);
  });

  it('taking back an own retired alias makes it active again, with a single record', () => {
    const removed = removeAlias(addAlias(tenantIn('active'), 'acme-eu', T0), 'acme-eu', QUARANTINE, T0);
    const back = addAlias(removed, 'acme-eu', T1);
    const records = back.aliases.filter((a) => a.slug === 'acme-eu');
    expect(records).toEqual([{ slug: 'acme-eu', primary: false, created_at: T1.toISOString() }]);
    expect(tenantView(back).aliases).toEqual(['acme', 'acme-eu']);
  });

  it('leaves the other aliases untouched', () => {
    let t = tenantIn('active');
    for (const slug of ['a-one', 'a-two', 'a-three']) t = addAlias(t, slug, T0);
    const after = removeAlias(t, 'a-two', QUARANTINE, T1);
    expect(after.aliases.filter((a) => a.slug !== 'a-two')).toEqual(
      t.aliases.filter((a) => a.slug !== 'a-two'),
    );
  });
});

describe('retired alias history cap', () => {
  const retiredAlias = (slug: string, quarantineUntil: string): AliasRecord => ({
    slug,
    primary: false,
    created_at: T0.toISOString(),
    retired_at: T0.toISOString(),
    quarantine_until: quarantineUntil,
  });
  const expiredBy = (now: Date) => new Date(now.getTime() - DAY).toISOString();
  const quarantinedPast = (now: Date) => new Date(now.getTime() + DAY).toISOString();

  /** A tenant with `expired` retired aliases out of quarantine, then `quarantined` ones still in it. */
  function withHistory(expired: number, quarantined: number): Tenant {
    const history = [
      ...Array.from({ length: expired }, (_, i) => retiredAlias(`old-${i}`, expiredBy(T1))),
      ...Array.from({ length: quarantined }, (_, i) => retiredAlias(`q-${i}`, quarantinedPast(T1))),
    ];
    return tenantIn('active', {
      aliases: [
        { slug: 'acme', primary: true, created_at: T0.toISOString() },
        ...history,
        { slug: 'leaving', primary: false, created_at: T0.toISOString() },
      ],
    });
  }

  const retired = (t: Tenant) => t.aliases.filter((a) => a.retired_at !== undefined);

  it('keeps at most MAX_ALIAS_HISTORY retired aliases, dropping the oldest out of quarantine', () => {
    const t = withHistory(MAX_ALIAS_HISTORY, 0);
    const after = removeAlias(t, 'leaving', QUARANTINE, T1);
    expect(retired(after)).toHaveLength(MAX_ALIAS_HISTORY);
    expect(after.aliases.some((a) => a.slug === 'old-0')).toBe(false);
    expect(after.aliases.some((a) => a.slug === 'old-1')).toBe(true);
    expect(after.aliases.find((a) => a.slug === 'leaving')?.retired_at).toBe(T1.toISOString());
    expect(activeAliases(after).map((a) => a.slug)).toEqual(['acme']);
  });

  it('never drops an alias still in quarantine, even beyond the cap', () => {
    const t = withHistory(0, MAX_ALIAS_HISTORY + 5);
    const after = removeAlias(t, 'leaving', QUARANTINE, T1);
    expect(retired(after)).toHaveLength(MAX_ALIAS_HISTORY + 6);
  });

  it('drops nothing below the cap', () => {
    const t = withHistory(3, 2);
    expect(retired(removeAlias(t, 'leaving', QUARANTINE, T1))).toHaveLength(6);
  });

  it('holds for any mix of expired and quarantined history', () => {
    fc.assert(
      fc.property(fc.nat(MAX_ALIAS_HISTORY + 10), fc.nat(MAX_ALIAS_HISTORY + 10), (expired, quarantined) => {
        const before = withHistory(expired, quarantined);
        const after = removeAlias(before, 'leaving', QUARANTINE, T1);
        const history = expired + quarantined;
        const expected =
          history + 1 <= MAX_ALIAS_HISTORY ? history + 1 : Math.max(MAX_ALIAS_HISTORY, quarantined + 1);
        expect(retired(after)).toHaveLength(expected);
        // Everything still in quarantine survives; the primary stays active.
        for (let i = 0; i < quarantined; i++)
          expect(after.aliases.some((a) => a.slug === `q-${i}`)).toBe(true);
        expect(activeAliases(after).map((a) => a.slug)).toEqual(['acme']);
      }),
      { numRuns: 300 },
    );
  });

  it('stays bounded over a long life of adding and removing aliases', () => {
    let t = tenantIn('active');
    let now = T0;
    for (let i = 0; i < 3 * MAX_ALIAS_HISTORY; i++) {
      now = new Date(now.getTime() + 2 * DAY);
      t = addAlias(t, `alias-${i}`, now);
      t = removeAlias(t, `alias-${i}`, new Date(now.getTime() + DAY), now);
      expect(retired(t).length).toBeLessThanOrEqual(MAX_ALIAS_HISTORY);
    }
    expect(retired(t)).toHaveLength(MAX_ALIAS_HISTORY);
    // The newest survive.
    expect(t.aliases.at(-1)?.slug).toBe(`alias-${3 * MAX_ALIAS_HISTORY - 1}`);
    expect(tenantView(t).aliases).toEqual(['acme']);
  });
});

describe('tenantView', () => {
  it('lists only the active alias slugs and passes every other field through', () => {
    let t = tenantIn('active');
    t = addAlias(t, 'acme-eu', T0);
    t = addAlias(t, 'acme-us', T0);
    t = removeAlias(t, 'acme-eu', QUARANTINE, T1);
    const view = tenantView(t);
    expect(view.aliases).toEqual(['acme', 'acme-us']);
    const { aliases: _aliases, ...rest } = t;
    expect(view).toEqual({ ...rest, aliases: ['acme', 'acme-us'] });
  });
});

describe('what callers are told', () => {
  it('the statuses and kinds, as the API documents them', () => {
    expect(TENANT_STATUSES).toEqual(['demo', 'trial', 'active', 'frozen', 'archived']);
    expect(TENANT_KINDS).toEqual(['customer', 'demo']);
  });

  it('an archived tenant: invalid_transition naming what cannot be done', () => {
    const archived = retire(tenantIn('active'), QUARANTINE, T1);
    const cases: Array<[string, () => unknown]> = [
      ['tenant is archived and cannot be activated', () => activate(archived, {}, T1)],
      ['tenant is archived and cannot be cancelled', () => cancel(archived, {}, T1)],
      ['tenant is archived and cannot be retired', () => retire(archived, QUARANTINE, T1)],
      ['tenant is archived and cannot be changed', () => applyPatch(archived, {}, T1)],
      ['tenant is archived and cannot be given aliases', () => addAlias(archived, 'acme-new', T1)],
      ['tenant is archived and cannot be changed', () => removeAlias(archived, 'acme', QUARANTINE, T1)],
    ];
    for (const [message, operation] of cases) {
      expect(operation).toThrow(InvalidTransitionError);
      expect(operation).toThrow(message);
    }
  });

  it('activating an active tenant or cancelling a frozen one says it already is', () => {
    expect(() => activate(tenantIn('active'), {}, T1)).toThrow('tenant is already active');
    expect(() => cancel(tenantIn('frozen'), {}, T1)).toThrow('tenant is already frozen');
  });
});

describe('tenantProfileView: what a tenant sees of itself', () => {
  it('hides the operators’ sales, billing and cancellation notes and keeps everything else', () => {
    const t: Tenant = {
      ...tenantIn('frozen'),
      sales_owner: 'sam',
      erp_customer_id: 'E-1',
      stripe_cust_id: 'cus_1',
      cancel_reason: 'too expensive',
      cancel_at_period_end: true,
      settings: { locale: 'de' },
    };
    const profile = tenantProfileView(t);
    for (const hidden of ['sales_owner', 'erp_customer_id', 'stripe_cust_id', 'cancel_reason'])
      expect(profile).not.toHaveProperty(hidden);
    expect(profile).toEqual({
      id: 't-1',
      slug: 'acme',
      name: 'Acme',
      status: 'frozen',
      kind: 'customer',
      plan: 'starter',
      trial_ends_at: '2025-03-15T10:00:00.000Z',
      contract_start: null,
      contract_end: null,
      cancel_at_period_end: true,
      active_components: [],
      active_record_types: [],
      settings: { locale: 'de' },
      aliases: ['acme'],
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
      version: 1,
    });
  });
});

describe('aliasView', () => {
  it('shows every field of the alias record, as a copy', () => {
    const alias: AliasRecord = {
      slug: 'acme-eu',
      primary: false,
      created_at: T0.toISOString(),
      retired_at: T1.toISOString(),
      quarantine_until: QUARANTINE.toISOString(),
    };
    const view = aliasView(alias);
    expect(view).toEqual({ ...alias });
    expect(view).not.toBe(alias);
  });
});

describe('retired alias history: the quarantine boundary', () => {
  it('an alias whose quarantine ends at this very moment is out of quarantine and may be dropped', () => {
    const history = Array.from({ length: MAX_ALIAS_HISTORY }, (_, i) => ({
      slug: `old-${i}`,
      primary: false,
      created_at: T0.toISOString(),
      retired_at: T0.toISOString(),
      quarantine_until: i === 0 ? T1.toISOString() : new Date(T1.getTime() + DAY).toISOString(),
    }));
    const t = tenantIn('active', {
      aliases: [
        { slug: 'acme', primary: true, created_at: T0.toISOString() },
        ...history,
        { slug: 'leaving', primary: false, created_at: T0.toISOString() },
      ],
    });
    const after = removeAlias(t, 'leaving', QUARANTINE, T1);
    expect(after.aliases.some((a) => a.slug === 'old-0')).toBe(false);
    expect(after.aliases.filter((a) => a.retired_at !== undefined)).toHaveLength(MAX_ALIAS_HISTORY);
  });

  it('a retired alias without a quarantine end counts as out of quarantine', () => {
    const history = Array.from({ length: MAX_ALIAS_HISTORY }, (_, i) => ({
      slug: `old-${i}`,
      primary: false,
      created_at: T0.toISOString(),
      retired_at: T0.toISOString(),
      ...(i === 3 ? {} : { quarantine_until: new Date(T1.getTime() + DAY).toISOString() }),
    }));
    const t = tenantIn('active', {
      aliases: [
        { slug: 'acme', primary: true, created_at: T0.toISOString() },
        ...history,
        { slug: 'leaving', primary: false, created_at: T0.toISOString() },
      ],
    });
    const after = removeAlias(t, 'leaving', QUARANTINE, T1);
    expect(after.aliases.map((a) => a.slug)).not.toContain('old-3');
    expect(after.aliases.map((a) => a.slug)).toContain('old-0');
  });

  it('at the cap, removing an expired alias again re-quarantines it rather than dropping it', () => {
    const history = Array.from({ length: MAX_ALIAS_HISTORY }, (_, i) => ({
      slug: `old-${i}`,
      primary: false,
      created_at: T0.toISOString(),
      retired_at: T0.toISOString(),
      quarantine_until: new Date(T1.getTime() - DAY).toISOString(),
    }));
    const t = tenantIn('active', {
      aliases: [{ slug: 'acme', primary: true, created_at: T0.toISOString() }, ...history],
    });
    const after = removeAlias(t, 'old-0', QUARANTINE, T1);
    expect(after.aliases.find((a) => a.slug === 'old-0')).toMatchObject({
      retired_at: T1.toISOString(),
      quarantine_until: QUARANTINE.toISOString(),
    });
    expect(after.aliases.filter((a) => a.retired_at !== undefined)).toHaveLength(MAX_ALIAS_HISTORY);
  });

  it('removing an alias again restarts its quarantine and keeps one record', () => {
    const once = removeAlias(addAlias(tenantIn('active'), 'acme-eu', T0), 'acme-eu', QUARANTINE, T0);
    const later = new Date(QUARANTINE.getTime() + DAY);
    const twice = removeAlias(once, 'acme-eu', later, T1);
    expect(twice.aliases.filter((a) => a.slug === 'acme-eu')).toEqual([
      {
        slug: 'acme-eu',
        primary: false,
        created_at: T0.toISOString(),
        retired_at: T1.toISOString(),
        quarantine_until: later.toISOString(),
      },
    ]);
  });
});
