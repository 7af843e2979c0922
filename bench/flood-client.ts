import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { awsClient } from '../shared/adapters/aws-clients';
import { keys } from '../shared/adapters/dynamodb/keys';
import { formatKey } from '../shared/domain/api-key';

/**
 * The attackers of bench/flood.ts, in a process of their own (their CPU is not the server's):
 * `clients` closed loops, each on its own keep-alive connection, each sending, while running,
 * by `mode`:
 *   keys    `GET <path>` with a fresh random well-formed key (random id, valid checksum): F1.
 *   store   no request to the server: the GetItem a random key's rejection makes (the key item
 *           of a random id), straight to DynamoDB Local at `endpoint`, table `table`. What the
 *           store alone costs the machine per rejection: F1's floor here.
 *   health  `GET /healthz`: the cheapest answer the server gives, no credential, no store.
 *
 * Messages from the parent: `start`, `stop` (answered `stopped` with the counts once every
 * request in flight has been answered), `exit`. `started` is sent once every client has had
 * an answer, so the parent measures only under a flood already under way.
 */

export type FloodMode = 'keys' | 'store' | 'health';

const [portArg, path, clientsArg, mode = 'keys', endpoint, table] = process.argv.slice(2);
const port = Number(portArg);
const clients = Number(clientsArg);
if (
  !Number.isInteger(port) ||
  !path ||
  !Number.isInteger(clients) ||
  !['keys', 'store', 'health'].includes(mode) ||
  (mode === 'store' && !(endpoint && table))
) {
  throw new Error('usage: flood-client <port> <path> <clients> [keys | health | store <endpoint> <table>]');
}
// Built as the server builds its clients (awsClient), so the floor is the same client's work.
const store =
  mode === 'store' && endpoint
    ? awsClient(DynamoDBClient, {
        endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
    : undefined;

const send = (message: unknown) => process.send?.(message);
const statuses: Record<string, number> = {};
let running = false;
let loops: Promise<void>[] = [];
let requests = 0;
let activeMs = 0;

async function once(agent: Agent): Promise<number> {
  if (store) {
    const { PK, SK } = keys.apiKey(randomUUID());
    const { Item } = await store.send(
      new GetItemCommand({ TableName: table, Key: { PK: { S: PK }, SK: { S: SK } }, ConsistentRead: true }),
    );
    return Item ? 200 : 404;
  }
  const target = mode === 'health' ? '/healthz' : path;
  const headers: Record<string, string> =
    mode === 'keys' ? { authorization: `Bearer ${formatKey('trk', randomUUID(), randomBytes(32))}` } : {};
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: target, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function loop(agent: Agent, answered: () => void): Promise<void> {
  let first = true;
  while (running) {
    const status = await once(agent);
    requests += 1;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (first) {
      first = false;
      answered();
    }
  }
}

const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1 }));

process.on('message', async (message) => {
  if (message === 'start' && !running) {
    running = true;
    const started = performance.now();
    let pending = clients;
    const answered = () => {
      pending -= 1;
      if (pending === 0) send('started');
    };
    loops = agents.map((agent) => loop(agent, answered));
    const all = Promise.all(loops);
    all.then(() => {
      activeMs += performance.now() - started;
    });
  } else if (message === 'stop') {
    running = false;
    await Promise.all(loops);
    // Let the `then` above record the active time first.
    await new Promise((resolve) => setImmediate(resolve));
    send({ stopped: true, requests, statuses, activeMs });
  } else if (message === 'exit') {
    for (const agent of agents) agent.destroy();
    store?.destroy();
    process.exit(0);
  }
});
send('ready');
