import { Webhook } from 'standardwebhooks';
import type { RegistryEvent } from '../../shared/domain/events';
import { addressRefusal } from '../../shared/domain/webhook-addresses';
import {
  attemptOutcome,
  deliveryRequest,
  eventTypesProblem,
  failedTooLong,
  newSigningSecret,
  signingSecrets,
  subscribes,
  urlProblem,
  type WebhookEndpoint,
} from '../../shared/domain/webhooks';

const TENANT_A = '00000000-0000-4000-8000-00000000000a';
const TENANT_B = '00000000-0000-4000-8000-00000000000b';
const event = (type: string, tenant_id?: string): RegistryEvent => ({
  id: '1764612345678901',
  type,
  created_at: '2026-12-01T18:00:00.000Z',
  ...(tenant_id ? { tenant_id } : {}),
  sequence: 7,
  data: { id: tenant_id ?? 'x', name: 'Acme' },
});
const endpoint = (
  events: string[],
  tenant_id?: string,
  status: 'enabled' | 'disabled' = 'enabled',
): WebhookEndpoint => ({
  id: 'e',
  url: 'https://hooks.example.com/in',
  events,
  ...(tenant_id ? { tenant_id } : {}),
  status,
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
});

describe('signatures verify with the standardwebhooks reference library', () => {
  test('one secret: the library accepts the delivery and returns the event', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const e = event('tenant.created', TENANT_A);
    const { body, headers } = deliveryRequest(e, [secret], new Date());
    expect(headers['webhook-id']).toBe('1764612345678901');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(JSON.stringify(e)));
  });

  test('during a rotation both secrets sign: a receiver with either one verifies; another secret does not', () => {
    const now = new Date();
    const secrets = signingSecrets(
      {
        current: newSigningSecret(),
        previous: newSigningSecret(),
        previous_expires_at: new Date(now.getTime() + 1000).toISOString(),
      },
      now,
    );
    expect(secrets).toHaveLength(2);
    const { body, headers } = deliveryRequest(event('api_key.revoked', TENANT_A), secrets, now);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const s of secrets) expect(() => new Webhook(s).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow(
      'No matching signature found',
    );
    expect(() => new Webhook(secrets[0] as string).verify(`${body} `, headers)).toThrow(
      'No matching signature found',
    );
  });

  test('after the overlap only the current secret signs', () => {
    const now = new Date();
    const s = { current: 'whsec_a', previous: 'whsec_b', previous_expires_at: now.toISOString() };
    expect(signingSecrets(s, now)).toEqual(['whsec_a']);
    expect(signingSecrets(s, new Date(now.getTime() - 1))).toEqual(['whsec_a', 'whsec_b']);
  });
});

describe('subscriptions', () => {
  test('a tenant endpoint gets its own tenant’s events only: never another tenant’s, never a global one', () => {
    const mine = endpoint(['*'], TENANT_A);
    expect(subscribes(mine, event('tenant.updated', TENANT_A))).toBe(true);
    expect(subscribes(mine, event('tenant.updated', TENANT_B))).toBe(false);
    expect(subscribes(mine, event('catalog.updated'))).toBe(false);
  });

  test('a global endpoint gets every tenant’s and the global events', () => {
    const global = endpoint(['*']);
    expect(subscribes(global, event('tenant.updated', TENANT_B))).toBe(true);
    expect(subscribes(global, event('catalog.updated'))).toBe(true);
  });

  test('"*" is every registry type, never a product’s own; a product type only when named', () => {
    expect(subscribes(endpoint(['*']), event('invoice.paid', TENANT_A))).toBe(false);
    expect(subscribes(endpoint(['invoice.paid']), event('invoice.paid', TENANT_A))).toBe(true);
    expect(subscribes(endpoint(['tenant.created']), event('tenant.updated', TENANT_A))).toBe(false);
  });

  test('webhook.test never goes by subscription; a disabled endpoint gets nothing', () => {
    expect(subscribes(endpoint(['*']), event('webhook.test'))).toBe(false);
    expect(subscribes(endpoint(['webhook.test']), event('webhook.test'))).toBe(false);
    expect(subscribes(endpoint(['*'], undefined, 'disabled'), event('tenant.created', TENANT_A))).toBe(false);
  });
});

describe('event types and urls', () => {
  test.each([
    [['*'], undefined],
    [['tenant.created', 'invoice.paid'], undefined],
    [[], 'events must name at least one event type, or be ["*"]'],
    [['*', 'tenant.created'], 'events: "*" stands alone (it already means every registry type)'],
    [['tenant.created', 'tenant.created'], 'events must not repeat a type'],
    [['tenant.exploded'], "events: 'tenant.exploded' is not a registry event type"],
    [['Invoice Paid'], expect.stringContaining("events: 'Invoice Paid' is neither a registry event type")],
  ])('%j -> %s', (events, problem) => {
    expect(eventTypesProblem(events)).toEqual(problem);
  });

  test('51 types are too many', () => {
    expect(eventTypesProblem(Array.from({ length: 51 }, (_, i) => `p.e${i}`))).toBe(
      'events may name at most 50 types',
    );
  });

  test.each([
    ['https://hooks.example.com/in', false, undefined],
    ['http://hooks.example.com/in', false, 'url must use https'],
    ['http://127.0.0.1:9000/in', false, 'url must use https'],
    ['http://127.0.0.1:9000/in', true, undefined],
    ['http://localhost:9000/in', true, undefined],
    ['http://[::1]:9000/in', true, undefined],
    ['http://10.0.0.5/in', true, expect.stringContaining('url must use https (http only to 127.0.0.1')],
    ['https://user:pw@hooks.example.com/', false, 'url must not carry credentials'],
    ['https://hooks.example.com/#x', false, 'url must not carry a fragment'],
    ['not a url', false, 'url must be an absolute URL'],
    ['ftp://hooks.example.com/', false, 'url must use https'],
  ])('%s (local %s) -> %s', (url, local, problem) => {
    expect(urlProblem(url, local)).toEqual(problem);
  });
});

describe('SSRF: every refused address form', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (IPv4 inside IPv6)'],
    ['::ffff:7f00:1', 'loopback (IPv4 inside IPv6)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4 inside IPv6)'],
    ['::ffff:a9fe:a9fe', 'link-local (IPv4 inside IPv6)'],
    ['::127.0.0.1', 'loopback (IPv4 inside IPv6)'],
    ['64:ff9b::10.0.0.1', 'private (IPv4 inside IPv6)'],
    ['2002:c0a8:0101::1', 'private (IPv4 inside IPv6)'],
    ['[::ffff:10.0.0.1]', 'private (IPv4 inside IPv6)'],
    ['localhost', 'not an IP address'],
  ])('%s is refused: %s', (address, reason) => {
    expect(addressRefusal(address)).toBe(reason);
  });

  test.each([
    '93.184.215.14',
    '8.8.8.8',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
  ])('%s is public', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });

  test('the local allowance admits loopback and nothing else', () => {
    expect(addressRefusal('127.0.0.1', true)).toBeUndefined();
    expect(addressRefusal('::1', true)).toBeUndefined();
    expect(addressRefusal('::ffff:127.0.0.1', true)).toBeUndefined();
    expect(addressRefusal('10.0.0.1', true)).toBe('private');
    expect(addressRefusal('169.254.169.254', true)).toBe('link-local');
  });
});

describe('outcomes and the schedule', () => {
  test('2xx succeeds, 410 is gone, anything else waits the schedule’s next step, then fails', () => {
    expect(attemptOutcome(204, 1)).toEqual({ kind: 'succeeded' });
    expect(attemptOutcome(410, 1)).toEqual({ kind: 'gone' });
    expect(attemptOutcome(301, 1)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(attemptOutcome(undefined, 2)).toEqual({ kind: 'retry', delayMs: 300_000 });
    expect(attemptOutcome(500, 7)).toEqual({ kind: 'retry', delayMs: 36_000_000 });
    expect(attemptOutcome(500, 8)).toEqual({ kind: 'failed' });
    expect(attemptOutcome(500, 1, 0.001)).toEqual({ kind: 'retry', delayMs: 5 });
  });

  test('the schedule spans more than 24 hours', () => {
    let total = 0;
    for (let attempts = 1; ; attempts++) {
      const outcome = attemptOutcome(500, attempts);
      if (outcome.kind !== 'retry') break;
      total += outcome.delayMs;
    }
    expect(total).toBe((5 + 300 + 1800 + 7200 + 18_000 + 36_000 + 36_000) * 1000);
    expect(total).toBeGreaterThan(24 * 3_600_000);
  });

  test('failing for 5 days disables', () => {
    const since = '2026-12-01T00:00:00.000Z';
    expect(failedTooLong(since, new Date('2026-12-05T23:59:59.999Z'))).toBe(false);
    expect(failedTooLong(since, new Date('2026-12-06T00:00:00.000Z'))).toBe(true);
    expect(failedTooLong(undefined, new Date('2027-01-01T00:00:00.000Z'))).toBe(false);
  });
});
