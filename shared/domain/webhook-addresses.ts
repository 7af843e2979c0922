import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Where a webhook may connect (SSRF): only public unicast addresses. Loopback, private,
 * carrier-grade NAT, link-local (169.254.169.254, the instance metadata service, included),
 * unique-local, multicast, reserved and documentation ranges are refused, and so is every IPv6
 * form that carries an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
 * `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`) whose IPv4 address is refused.
 * The sender resolves a host once per delivery, checks every address, and connects to the one
 * it checked (docs/webhooks.md#ssrf), so a name that changes its answer meanwhile gains nothing.
 * `allowLoopback` (local mode) admits 127.0.0.0/8 and ::1, and nothing else.
 */

const REFUSED_V4: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const REFUSED_V6: readonly [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
  ['100::', 64, 'discard'],
];

const v4 = new Map<string, BlockList>();
for (const [net, prefix, reason] of REFUSED_V4) {
  const list = v4.get(reason) ?? new BlockList();
  list.addSubnet(net, prefix, 'ipv4');
  v4.set(reason, list);
}
const v6 = new Map<string, BlockList>();
for (const [net, prefix, reason] of REFUSED_V6) {
  const list = v6.get(reason) ?? new BlockList();
  list.addSubnet(net, prefix, 'ipv6');
  v6.set(reason, list);
}

/** The 16 bytes of an IPv6 address (any textual form, embedded IPv4 included). */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
}

const dottedOf = (bytes: readonly number[]) => bytes.join('.');

/** The IPv4 address an IPv6 address carries, in the forms that route to it. */
function embeddedIpv4(bytes: readonly number[]): string | undefined {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), 64:ff9b::a.b.c.d (NAT64)
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return dottedOf(bytes.slice(12));
  if (zero(0, 12) && !zero(12, 16)) return dottedOf(bytes.slice(12));
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(4, 12)) {
    return dottedOf(bytes.slice(12));
  }
  // 2002:AABB:CCDD::/48 (6to4)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return dottedOf(bytes.slice(2, 6));
  // 2001:0000::/32 (Teredo): the client's address, inverted, in the last four bytes
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0 && bytes[3] === 0) {
    return dottedOf(bytes.slice(12).map((b) => b ^ 0xff));
  }
  return undefined;
}

function v4Refusal(address: string, allowLoopback: boolean): string | undefined {
  for (const [reason, list] of v4) {
    if (!list.check(address, 'ipv4')) continue;
    if (reason === 'loopback' && allowLoopback) return undefined;
    return reason;
  }
  return undefined;
}

/**
 * Why the sender may not connect to `address` (an IP literal), or undefined when it may.
 * Anything that is not an IP address is refused.
 */
export function addressRefusal(address: string, allowLoopback = false): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) return v4Refusal(bare, allowLoopback);
  if (!isIPv6(bare)) return 'not an IP address';
  const bytes = ipv6Bytes(bare);
  // ::1 and :: are themselves, not IPv4-compatible forms of 0.0.0.1 and 0.0.0.0.
  const last = bytes[15] ?? 0;
  if (bytes.slice(0, 15).every((b) => b === 0) && last <= 1) {
    return last === 1 && allowLoopback ? undefined : last === 1 ? 'loopback' : 'unspecified';
  }
  const embedded = embeddedIpv4(bytes);
  if (embedded !== undefined) {
    const refusal = v4Refusal(embedded, allowLoopback);
    return refusal === undefined ? undefined : `${refusal} (IPv4 inside IPv6)`;
  }
  const canonical = Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  ).join(':');
  for (const [reason, list] of v6) {
    if (!list.check(canonical, 'ipv6')) continue;
    if (reason === 'loopback' && allowLoopback) return undefined;
    return reason;
  }
  return undefined;
}
