import { isIPv4, isIPv6 } from 'node:net';

/** One allowlisted range, normalised: `10.0.0.0/8`, `2001:db8::/32`. */
export interface Cidr {
  readonly cidr: string;
  readonly version: 4 | 6;
}

export class CidrError extends Error {
  override name = 'CidrError';
}

/**
 * Parses an allowlist entry strictly: an address plus a prefix length, host bits zero (a range
 * like `10.0.0.1/8` is almost always a typo for something narrower, and WAF rejects it).
 */
export function parseCidr(input: string): Cidr {
  const text = input.trim();
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!m?.[1] || m[2] === undefined)
    throw new CidrError(`not a CIDR range (address/prefix): ${JSON.stringify(input)}`);
  const [, address, bits] = m;
  const prefix = Number(bits);
  if (isIPv4(address)) {
    if (prefix < 0 || prefix > 32) throw new CidrError(`IPv4 prefix must be 0-32: ${JSON.stringify(input)}`);
    const value = address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
    if (hostBits(value, 32, prefix) !== 0n)
      throw new CidrError(
        `host bits set in ${JSON.stringify(input)}; did you mean ${network4(value, prefix)}?`,
      );
    return { cidr: `${address}/${prefix}`, version: 4 };
  }
  if (isIPv6(address)) {
    if (prefix < 0 || prefix > 128)
      throw new CidrError(`IPv6 prefix must be 0-128: ${JSON.stringify(input)}`);
    if (address.includes('.'))
      throw new CidrError(`write IPv4-mapped ranges as IPv4: ${JSON.stringify(input)}`);
    const value = ipv6Value(address);
    if (hostBits(value, 128, prefix) !== 0n) throw new CidrError(`host bits set in ${JSON.stringify(input)}`);
    return { cidr: `${address.toLowerCase()}/${prefix}`, version: 6 };
  }
  throw new CidrError(`not an IPv4 or IPv6 address: ${JSON.stringify(input)}`);
}

/** A comma-separated list (the `allowedCidrs` context value), duplicates removed, order kept. */
export function parseCidrList(input: string | readonly string[]): Cidr[] {
  const parts = typeof input === 'string' ? input.split(',') : [...input];
  const seen = new Set<string>();
  const out: Cidr[] = [];
  for (const part of parts) {
    if (part.trim() === '') continue;
    const cidr = parseCidr(part);
    if (seen.has(cidr.cidr)) continue;
    seen.add(cidr.cidr);
    out.push(cidr);
  }
  return out;
}

function hostBits(value: bigint, width: number, prefix: number): bigint {
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  return value & hostMask;
}

function network4(value: bigint, prefix: number): string {
  const net = value & ~((1n << BigInt(32 - prefix)) - 1n);
  const octets = [24n, 16n, 8n, 0n].map((s) => String((net >> s) & 255n));
  return `${octets.join('.')}/${prefix}`;
}

function ipv6Value(address: string): bigint {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}
