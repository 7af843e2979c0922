import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal } from '../../domain/webhook-addresses';
import { DELIVERY_TIMEOUT_MS, isLoopbackHost, RESPONSE_BODY_BYTES } from '../../domain/webhooks';
import type { TransportResult, WebhookTransport } from '../../ports/webhook-transport';

export interface HttpTransportOptions {
  /** Local mode: `http` and loopback addresses are allowed (TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL). */
  readonly allowLocal: boolean;
  /** @default DELIVERY_TIMEOUT_MS (10 s) */
  readonly timeoutMs?: number;
  /** Name resolution; tests give their own. @default the system resolver, every address */
  readonly resolve?: (hostname: string) => Promise<readonly { address: string; family: number }[]>;
}

/**
 * The POST of a delivery over node's http(s). The host is resolved once; if any address it
 * resolves to is refused (webhook-addresses.ts), nothing is sent. The socket connects to the
 * first address checked, through the request's `lookup` (so node never resolves the name again:
 * a DNS answer that changes between the check and the connection cannot move it), while TLS still
 * verifies the certificate against the host name. Redirects are not followed (a 3xx is a failed
 * attempt); the whole attempt has `timeoutMs`; at most 1 KiB of the answer is read.
 */
export class HttpWebhookTransport implements WebhookTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  async post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<TransportResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const target = new URL(url);
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && this.options.allowLocal)) {
      return { error: 'scheme_refused', latency_ms: elapsed() };
    }
    if (target.protocol === 'http:' && !isLoopbackHost(target.hostname)) {
      return { error: 'scheme_refused', latency_ms: elapsed() };
    }
    const hostname = target.hostname.replace(/^\[|\]$/g, '');
    let addresses: readonly { address: string; family: number }[];
    try {
      addresses = isIP(hostname)
        ? [{ address: hostname, family: isIP(hostname) }]
        : await (this.options.resolve ?? defaultResolve)(hostname);
    } catch (error) {
      return { error: `dns: ${(error as NodeJS.ErrnoException).code ?? 'failed'}`, latency_ms: elapsed() };
    }
    if (addresses.length === 0) return { error: 'dns: no address', latency_ms: elapsed() };
    for (const { address } of addresses) {
      const refusal = addressRefusal(address, this.options.allowLocal);
      if (refusal !== undefined) {
        return { error: `address_refused: ${refusal}`, address, latency_ms: elapsed() };
      }
    }
    const chosen = addresses[0] as { address: string; family: number };
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) {
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [chosen]);
      } else callback(null, chosen.address, chosen.family);
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<TransportResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<TransportResult, 'latency_ms' | 'address'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, address: chosen.address, latency_ms: elapsed() });
      };
      const req = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          lookup: pinned,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () =>
            finish({
              status_code: res.statusCode ?? 0,
              body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_BYTES).toString('utf8'),
            });
          res.on('data', (chunk: Buffer) => {
            if (size >= RESPONSE_BODY_BYTES) return;
            chunks.push(chunk);
            size += chunk.length;
            if (size >= RESPONSE_BODY_BYTES) {
              done();
              res.destroy();
            }
          });
          res.on('end', done);
          res.on('error', done);
        },
      );
      const timer = setTimeout(() => {
        finish({ error: 'timeout' });
        req.destroy();
      }, this.options.timeoutMs ?? DELIVERY_TIMEOUT_MS);
      req.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
      req.end(body);
    });
  }
}

async function defaultResolve(hostname: string) {
  return dnsLookup(hostname, { all: true, verbatim: true });
}
