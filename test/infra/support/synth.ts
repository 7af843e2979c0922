import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { TenantRegistryStack, type TenantRegistryStackProps } from '../../../lib/tenant-registry-stack';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'tenant-registry-infra');
export const ENV = { account: '123456789012', region: 'eu-central-1' } as const;
export const KEYCLOAK_SECRET_ARN =
  'arn:aws:secretsmanager:eu-central-1:123456789012:secret:keycloak-client-AbCdEf';

/** The stacks the infra tests look at. */
export const VARIANTS = {
  /** API Gateway with WAF, IPv4 and IPv6 ranges, the API on, an alarm email, tenant selection. */
  api: {
    stage: 'prod',
    ingress: 'apigateway',
    waf: true,
    apiEnabled: true,
    allowedCidrs: ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32'],
    alarmEmail: 'ops@example.com',
    authRejectedThreshold: 5,
    tenantSelection: {
      header: 'X-Org-ID',
      required: false,
      defaultTenant: 'acme',
      allowedTenants: ['acme', 'globex', '0b6f2d4e-8c1a-4f3b-9d2e-5a7c8e9f1b2d'],
    },
  },
  /** Every default: API Gateway, no WAF, no allowlist (operator and service planes closed), API off. */
  defaults: {},
  /** ALB with WAF and 5 ranges: 2 rules per restricted operation (3 + 2 source ips). */
  alb: {
    stage: 'prod',
    ingress: 'alb',
    waf: true,
    allowedCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.1.0/24', '198.51.100.0/24', '203.0.113.7/32'],
  },
  /** Keycloak provisioning on create (docs/keycloak.md). */
  keycloak: {
    stage: 'kc',
    allowedCidrs: ['10.0.0.0/8'],
    keycloak: {
      url: 'https://id.example.com',
      realm: 'platform',
      clientId: 'tenant-registry',
      clientSecretArn: KEYCLOAK_SECRET_ARN,
    },
  },
} as const satisfies Record<string, TenantRegistryStackProps>;
export type Variant = keyof typeof VARIANTS;

/** A cdk-nag finding nobody acknowledged. */
export interface Finding {
  readonly pack: string;
  readonly rule: string;
  readonly paths: readonly string[];
}

export interface Synthesized {
  readonly template: Record<string, any>;
  readonly findings: readonly Finding[];
  /** Acknowledgements recorded in the construct tree: rule id -> reasons. */
  readonly acknowledgements: Readonly<Record<string, readonly string[]>>;
}

/**
 * The stack of one variant, synthesized without bundling (context `aws:cdk:bundling-stacks: []`)
 * with cdk.json's feature flags, plus what cdk-nag's AwsSolutions and Serverless packs find.
 * Synthesis is slow, so the result is kept in a file named by a hash of everything that can
 * change it (lib/ and every module it imports, openapi.yaml, cdk.json, package-lock.json and
 * which function entries exist): test files and runs share it; any change of an input
 * synthesizes afresh.
 */
export function synthesize(variant: Variant): Synthesized {
  const key = inputHash(variant);
  const file = join(CACHE_DIR, `${variant}-${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Synthesized;
  const result = synthesizeNow(variant);
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const stale of readdirSync(CACHE_DIR).filter((f) => f.startsWith(`${variant}-`))) {
    rmSync(join(CACHE_DIR, stale), { force: true });
  }
  writeFileSync(file, JSON.stringify(result));
  return result;
}

export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export function synthesizeStack(props: TenantRegistryStackProps): { app: App; stack: TenantRegistryStack } {
  const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new TenantRegistryStack(app, 'TenantRegistry-test', { env: ENV, ...props });
  return { app, stack };
}

function synthesizeNow(variant: Variant): Synthesized {
  const { app, stack } = synthesizeStack(VARIANTS[variant] as TenantRegistryStackProps);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template;
  const findings: Finding[] = [];
  for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
    for (const v of pack.validateScope(stack).violations) {
      findings.push({
        pack: pack.name,
        rule: v.ruleName,
        paths: v.violatingResources.map((r) => r.constructPath ?? ''),
      });
    }
  }
  const acknowledgements: Record<string, string[]> = {};
  for (const c of stack.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules' || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        const rule = id.replace(/^annotation::/i, '');
        acknowledgements[rule] = [...(acknowledgements[rule] ?? []), String(reason)];
      }
    }
  }
  return { template, findings, acknowledgements };
}

export function inputHash(variant: Variant | 'bundled', withFunctionSources = false): string {
  const hash = createHash('sha256');
  hash.update(variant === 'bundled' ? 'bundled' : JSON.stringify(VARIANTS[variant]));
  const files = new Set<string>();
  if (withFunctionSources) {
    // Bundles contain whatever the entries reach: hash every source.
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|json|yaml)$/.test(name)) files.add(path);
      }
    };
    for (const dir of ['lib', 'bin', 'shared', 'functions']) walk(join(ROOT, dir));
  } else {
    // Without bundling only what the stack's own modules import can change the template.
    importClosure(join(ROOT, 'lib', 'tenant-registry-stack.ts'), files);
  }
  for (const name of ['openapi.yaml', 'cdk.json', 'package-lock.json']) files.add(join(ROOT, name));
  for (const file of [...files].sort()) {
    hash.update(relative(ROOT, file));
    hash.update(readFileSync(file));
  }
  for (const name of readdirSync(join(ROOT, 'functions')).sort()) {
    hash.update(`${name}:${existsSync(join(ROOT, 'functions', name, 'handler.ts'))}`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** A module and every project module it imports, relatively, transitively. */
function importClosure(file: string, into: Set<string>): void {
  if (into.has(file) || !existsSync(file)) return;
  into.add(file);
  const source = readFileSync(file, 'utf8');
  for (const m of source.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
    const spec = m[1] ?? '';
    const base = join(dirname(file), spec);
    for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) {
        importClosure(candidate, into);
        break;
      }
    }
  }
}
