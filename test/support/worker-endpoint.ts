/**
 * Jest setup file: this worker's DynamoDB Local (global-setup.ts starts one per worker) becomes
 * the file's TEST_DYNAMODB_ENDPOINT.
 */
const endpoints = process.env.TEST_DYNAMODB_ENDPOINTS?.split(',').filter(Boolean) ?? [];
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
const mine = endpoints[(worker - 1) % Math.max(1, endpoints.length)];
if (mine) process.env.TEST_DYNAMODB_ENDPOINT = mine;
