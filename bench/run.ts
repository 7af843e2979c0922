/**
 * `npm run bench`: every figure the issues ask for, each a ratio measured side by side in
 * this one run (the machine is shared and noisy; absolute times drift, ratios hold).
 *
 *   B1, B2  bundle bytes and import time of each endpoint / a GetItem-only reference
 *   R1, W1  p50 of the real read and create endpoints / bare SDK calls on the same server
 *   S1      SSM calls per 1,000 resolutions; Secrets Manager calls per 1,000 requests
 *   V1-V3   cached verify / a no-op route; cached / uncached throughput; argon2 parameters
 *   A1      items read per filtered audit page at 100,000 events / at 1,000
 *   H1      audit events/s, 16 writers on one tenant / spread over 16 tenants
 *   H2      audit events/s, batches of 99 / single appends, one tenant
 *   V4      events verified per second through GET /v1/audit/verify / bare Query pages
 *   X1      peak RSS growth exporting 100,000 audit events / exporting 1,000
 *   T1      p50 of GET /{tenant}/profile (cached key and alias) / GET /v1/tenants/{id}
 *   S2      SSM calls per 1,000 tenant-plane reads over 100 tenants; per 1,000 unknown-slug requests
 *   F1, F2  p50 of a cached-key tenant read under a random-key flood / without; server CPU per
 *           random-key rejection / per argon2 verify
 *   E1, E2  p50 commit -> webhook delivery at a local receiver; p50 of POST /v1/tenants with 10
 *           webhook subscriptions / with none (the delivery side in a process of its own)
 *
 * `npm run bench -- --only=bundles,latency` runs a subset (bundles, latency, calls, keys, audit,
 * ingest, verify, tenant, flood, export, webhooks).
 */
import { parseArgs } from 'node:util';
import { auditFigures, printAudit, printVerify, verifyFigures } from './audit';
import { bundleFigures, formatFigures } from './bundles';
import { callFigures, printCalls } from './calls';
import { exportFigures, printExport } from './export';
import { floodFigures, printFlood } from './flood';
import { ingestFigures, printIngest } from './ingest';
import { keyBench } from './keys';
import { latencyFigures, printLatency } from './latency';
import { printTenant, tenantFigures } from './tenant';
import { printWebhooks, webhookFigures } from './webhooks';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only ? new Set(values.only.split(',')) : undefined;
const wanted = (name: string) => !only || only.has(name);

const started = Date.now();
if (wanted('bundles')) console.log(formatFigures(await bundleFigures({ rounds: 15 })));
if (wanted('latency')) printLatency(await latencyFigures(300));
if (wanted('calls')) printCalls(await callFigures());
if (wanted('keys')) await keyBench();
if (wanted('audit')) printAudit(await auditFigures());
if (wanted('ingest')) printIngest(await ingestFigures());
if (wanted('verify')) printVerify(await verifyFigures());
if (wanted('export')) printExport(await exportFigures());
if (wanted('tenant')) printTenant(await tenantFigures());
if (wanted('flood')) printFlood(await floodFigures());
if (wanted('webhooks')) printWebhooks(await webhookFigures());
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(0);
