/**
 * `npm start`: the very handlers of the Lambda functions, routed from openapi.yaml and served
 * on 127.0.0.1:${PORT:-8090}, over DynamoDB Local and embedded SSM / Secrets Manager
 * stand-ins reached through the real AWS SDK clients. Data lives under
 * ${TENANT_REGISTRY_DATA_DIR:-.data} and survives restarts. Runs in the foreground: Ctrl-C
 * (SIGINT), SIGTERM or SIGHUP stops everything, Java included, and so does the end of the
 * process that started it (npm's shell does not pass `kill <npm pid>` on).
 */
import { failureLine } from './local/cli';
import { startLocalStack } from './local/stack';

// Handlers first: a signal during start-up still stops DynamoDB Local once it is up.
const starting = startLocalStack();
let stopping = false;
const stop = async (reason: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`\n${reason}: stopping`);
  await (await starting.catch(() => undefined))?.stop();
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop('the process that started this one ended');
}, 500).unref();

try {
  await starting;
} catch (error) {
  console.error(failureLine('npm start', error));
  process.exit(1);
}
