/**
 * `npm run bench`: every figure the issues ask for, each a ratio measured side by side in
 * this one run (the machine is shared and noisy; absolute times drift, ratios hold).
 *
 *   B1, B2  bundle bytes and import time of each endpoint / a GetItem-only reference
 *   R1, W1  p50 of the real read and create endpoints / bare SDK calls on the same server
 *   S1      SSM calls per 1,000 resolutions; Secrets Manager calls per 1,000 requests
 */
import { bundleFigures, formatFigures } from './bundles';
import { callFigures, printCalls } from './calls';
import { latencyFigures, printLatency } from './latency';

const started = Date.now();
const bundles = await bundleFigures({ rounds: 15 });
console.log(formatFigures(bundles));
const latency = await latencyFigures(300);
printLatency(latency);
const calls = await callFigures();
printCalls(calls);
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(0);
