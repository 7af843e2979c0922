/**
 * `npm start`: the very handlers of the Lambda functions, routed from openapi.yaml and served
 * on 127.0.0.1:${PORT:-8090}, over DynamoDB Local and embedded SSM / Secrets Manager
 * stand-ins reached through the real AWS SDK clients. Data lives under
 * ${TENANT_REGISTRY_DATA_DIR:-.data} and survives restarts. Ctrl-C stops everything.
 */
import { startLocalStack } from './local/stack';

// Handlers first: a Ctrl-C during start-up still stops DynamoDB Local once it is up.
const starting = startLocalStack();
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping`);
  await (await starting.catch(() => undefined))?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
await starting;
