import { isTenantName, type SelectionSettings, selectTenant } from '../../shared/domain/tenant-selection';

const settings: SelectionSettings = { header: 'X-Tenant-ID', required: true, defaultTenant: undefined };
const ID = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';

describe('selectTenant', () => {
  test('the path form names its tenant; a header or query may only agree with it', () => {
    expect(selectTenant({ path: 'acme', header: undefined, query: undefined }, settings)).toEqual({
      kind: 'named',
      name: 'acme',
      alsoNamed: [],
    });
    expect(selectTenant({ path: 'acme', header: ' ACME-Corp ', query: ID }, settings)).toEqual({
      kind: 'named',
      name: 'acme',
      alsoNamed: ['acme-corp', ID],
    });
  });

  test('a path segment that can be no tenant is no route', () => {
    for (const path of [
      'v1',
      'swagger',
      'SWAGGER',
      'a',
      '',
      'x'.repeat(41),
      `${ID}-`,
      ' acme',
      'acme ',
      '\u212Acme', // the Kelvin sign: Unicode would lower-case it to k
      '6f1c2d3e4a5b4c6d8e7f0123456789ab', // 32 hex digits: a UUID without dashes, never a slug
    ]) {
      expect(selectTenant({ path, header: undefined, query: undefined }, settings)).toEqual({
        kind: 'no-route',
      });
    }
  });

  test('one rule for path, header and query: ASCII case folds; header and query are also trimmed', () => {
    const named = (name: string, alsoNamed: string[] = []) => ({ kind: 'named', name, alsoNamed });
    const none = { header: undefined, query: undefined };
    expect(selectTenant({ path: 'Acme', ...none }, settings)).toEqual(named('acme'));
    expect(selectTenant({ path: 'ACME-CORP', ...none }, settings)).toEqual(named('acme-corp'));
    // Both ends of the range fold.
    expect(selectTenant({ path: 'AZTEC-ZA', ...none }, settings)).toEqual(named('aztec-za'));
    expect(selectTenant({ path: ID.toUpperCase(), ...none }, settings)).toEqual(named(ID));
    expect(selectTenant({ path: 'tenant', header: '\tAcMe ', query: undefined }, settings)).toEqual(
      named('acme'),
    );
    expect(selectTenant({ path: 'tenant', header: undefined, query: ' ACME ' }, settings)).toEqual(
      named('acme'),
    );
    expect(selectTenant({ path: 'ACME', header: 'Acme', query: 'acme' }, settings)).toEqual(
      named('acme', ['acme', 'acme']),
    );
    // `tenant` in any case is the selected form, as it is one name folded like the others.
    expect(selectTenant({ path: 'Tenant', header: 'acme', query: undefined }, settings)).toEqual(
      named('acme'),
    );
    // Only ASCII folds: the Kelvin sign and full-width letters name nothing in any form.
    for (const header of ['\u212Acme', 'ＡＣＭＥ']) {
      expect(selectTenant({ path: 'tenant', header, query: undefined }, settings).kind).toBe('malformed');
    }
  });

  test('the selected form: header, else query; the header wins', () => {
    const sel = (header?: string, query?: string) =>
      selectTenant({ path: 'tenant', header, query }, settings);
    expect(sel('acme', 'acme-corp')).toEqual({ kind: 'named', name: 'acme', alsoNamed: [] });
    expect(sel(undefined, 'acme-corp')).toEqual({ kind: 'named', name: 'acme-corp', alsoNamed: [] });
    expect(sel('', 'acme-corp')).toEqual({ kind: 'named', name: 'acme-corp', alsoNamed: [] });
    expect(sel(ID.toUpperCase())).toEqual({ kind: 'named', name: ID, alsoNamed: [] });
  });

  test('nothing named: 400 naming the header and the query when required', () => {
    const missing = selectTenant(
      { path: 'tenant', header: undefined, query: undefined },
      { ...settings, header: 'X-Org' },
    );
    expect(missing.kind).toBe('missing');
    expect(missing.kind === 'missing' && missing.message).toMatch(
      /X-Org header or the tenant_id query parameter/,
    );
  });

  test('nothing named and not required: the default tenant, else the key’s own', () => {
    const open = { ...settings, required: false };
    const none = { path: 'tenant', header: undefined, query: undefined };
    expect(selectTenant(none, { ...open, defaultTenant: 'acme' })).toEqual({
      kind: 'named',
      name: 'acme',
      alsoNamed: [],
    });
    expect(selectTenant(none, open)).toEqual({ kind: 'own' });
  });

  test('a header or query value that can name no tenant is malformed, saying where', () => {
    const bad = selectTenant({ path: 'tenant', header: 'no spaces allowed', query: undefined }, settings);
    expect(bad).toEqual({
      kind: 'malformed',
      message: 'the X-Tenant-ID header must be a tenant slug or UUID',
    });
    const badQuery = selectTenant({ path: 'acme', header: undefined, query: 'v1' }, settings);
    expect(badQuery).toEqual({
      kind: 'malformed',
      message: 'the tenant_id query parameter must be a tenant slug or UUID',
    });
  });

  test('tenant names: slugs (not reserved words) and UUIDs', () => {
    expect(isTenantName('acme')).toBe(true);
    expect(isTenantName(ID)).toBe(true);
    expect(isTenantName('tenant')).toBe(false);
    expect(isTenantName('a1')).toBe(false);
  });
});

describe('selectTenant: blanks, order and messages', () => {
  const none = { header: undefined, query: undefined };

  test('a blank header or query is absent: the other form, else nothing named', () => {
    const sel = (header?: string, query?: string) =>
      selectTenant({ path: 'tenant', header, query }, settings);
    expect(sel('   ', 'acme')).toEqual({ kind: 'named', name: 'acme', alsoNamed: [] });
    expect(sel('acme', ' \t ')).toEqual({ kind: 'named', name: 'acme', alsoNamed: [] });
    expect(sel(' ', ' ').kind).toBe('missing');
    expect(selectTenant({ path: 'acme', header: '  ', query: '' }, settings)).toEqual({
      kind: 'named',
      name: 'acme',
      alsoNamed: [],
    });
  });

  test('a malformed header or query is reported before the path is looked at', () => {
    expect(selectTenant({ path: 'v1', header: 'a b', query: undefined }, settings)).toEqual({
      kind: 'malformed',
      message: 'the X-Tenant-ID header must be a tenant slug or UUID',
    });
    expect(selectTenant({ path: 'acme', header: 'acme', query: 'admin' }, settings)).toEqual({
      kind: 'malformed',
      message: 'the tenant_id query parameter must be a tenant slug or UUID',
    });
  });

  test('the selected form: a header or query naming a tenant wins over the default tenant', () => {
    const open = { ...settings, required: false, defaultTenant: 'fallback' };
    expect(selectTenant({ path: 'tenant', header: 'acme', query: undefined }, open)).toEqual({
      kind: 'named',
      name: 'acme',
      alsoNamed: [],
    });
    expect(selectTenant({ path: 'tenant', header: undefined, query: ID }, open)).toEqual({
      kind: 'named',
      name: ID,
      alsoNamed: [],
    });
    expect(selectTenant({ path: 'tenant', ...none }, open)).toEqual({
      kind: 'named',
      name: 'fallback',
      alsoNamed: [],
    });
  });

  test('required wins over a configured default: nothing named is missing', () => {
    expect(selectTenant({ path: 'tenant', ...none }, { ...settings, defaultTenant: 'acme' }).kind).toBe(
      'missing',
    );
  });

  test('the missing message names the configured header, the query parameter and what they take', () => {
    const missing = selectTenant({ path: 'tenant', ...none }, settings);
    expect(missing).toEqual({
      kind: 'missing',
      message:
        "name the tenant with the X-Tenant-ID header or the tenant_id query parameter (a slug or the tenant's UUID)",
    });
  });

  test('the path form with only a query, or only a header: that one must agree', () => {
    expect(selectTenant({ path: ID, header: undefined, query: 'acme' }, settings)).toEqual({
      kind: 'named',
      name: ID,
      alsoNamed: ['acme'],
    });
    expect(selectTenant({ path: 'acme', header: 'acme-eu', query: undefined }, settings)).toEqual({
      kind: 'named',
      name: 'acme',
      alsoNamed: ['acme-eu'],
    });
  });

  test('"tenant" is the only selecting segment; "tenants" and other reserved words are no route', () => {
    for (const path of ['tenants', 'admin', 'healthz', 'tenant-'])
      expect(selectTenant({ path, ...none }, settings)).toEqual({ kind: 'no-route' });
  });
});
