/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy --all`). Stage configuration comes from CDK
 * context (`-c key=value`, or cdk.json); lib/stage-config.ts validates it and
 * docs/configuration.md lists every key:
 *
 *   npx cdk deploy --all -c stage=prod -c allowedCidrs=10.0.0.0/8,192.168.1.0/24 -c ingress=alb \
 *     -c certificateArn=arn:aws:acm:... -c waf=true -c apiEnabled=true -c alarmEmail=ops@example.com
 *
 * The tenant plane's selection of `/tenant/...` (header, whether it is required, a default
 * tenant, the tenants allowed) comes from context too and reaches the tenant-plane functions:
 *
 *   npx cdk deploy --all -c stage=prod -c tenantHeader=X-Org-ID -c tenantRequired=false \
 *     -c defaultTenant=acme -c allowedTenants=acme,globex
 *
 * A stage is five stacks (lib/tenant-registry.ts): `TenantRegistry-<stage>` (table, admin token,
 * alarm topic) and `TenantRegistry-<stage>-{Operator,Tenant,Ingress,Monitoring}`.
 */
import { App } from 'aws-cdk-lib';
import { addNagChecks } from '../lib/nag';
import { type StageConfig, stageConfig } from '../lib/stage-config';
import { TenantRegistry } from '../lib/tenant-registry';

const app = new App();
let config: StageConfig;
try {
  config = stageConfig((key) => app.node.tryGetContext(key));
} catch (error) {
  console.error(`Invalid context: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

new TenantRegistry(app, `TenantRegistry-${config.stage}`, {
  ...config.props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  tags: { application: 'tenant-registry', stage: config.stage },
});

// cdk-nag on every synth and deploy: an unacknowledged finding fails it (lib/nag.ts).
addNagChecks(app);
app.synth();
