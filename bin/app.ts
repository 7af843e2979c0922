/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). The stage comes from `-c stage=<name>`,
 * `dev` by default, and names the stack: `TenantRegistry-<stage>`.
 */
import { App } from 'aws-cdk-lib';
import { TenantRegistryStack } from '../lib/tenant-registry-stack';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
  throw new Error(`stage must be 1-20 of a-z, 0-9 and "-", starting with a letter: ${JSON.stringify(stage)}`);
}

new TenantRegistryStack(app, `TenantRegistry-${stage}`, {
  stage,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  tags: { application: 'tenant-registry', stage },
});

app.synth();
