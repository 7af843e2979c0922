import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { TenantRegistry, type TenantRegistryProps } from '../../../lib/tenant-registry';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'tenant-registry-infra');
export const ENV = { account: '123456789012', region: 'eu-central-1' } as const;

/** An ACM certificate ARN for the ALB modes (synthesis never resolves it). */
export const CERTIFICATE_ARN =
  'arn:aws:acm:eu-central-1:123456789012:certificate/0b6f2d4e-8c1a-4f3b-9d2e-5a7c8e9f1b2d';
export const KEYCLOAK_SECRET_ARN =
  'arn:aws:secretsmanager:eu-central-1:123456789012:secret:keycloak-client-AbCdEf';
export const KEYCLOAK_KMS_KEY_ARN =
  'arn:aws:kms:eu-central-1:123456789012:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

/**
 * Every documented mode (docs/operations.md "Modes"): the infra tests synthesize each, hold every
 * stack of each under the resource budget and run cdk-nag on each.
 */
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
  /** ALB over HTTPS with WAF and 4 ranges: 2 rules per restricted operation with 1-3 methods. */
  alb: {
    stage: 'prod',
    ingress: 'alb',
    waf: true,
    certificateArn: CERTIFICATE_ARN,
    allowedCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.1.0/24', '203.0.113.7/32'],
    // 4 ranges need 109 listener rules since the webhook routes: over the default quota of 100,
    // so this mode runs with the quota raised, as docs/configuration.md says it must be.
    albMaxRules: 120,
  },
  /** ALB on plain HTTP (allowPlainHttp, test stages only), no WAF, one range. */
  albPlain: {
    stage: 'test',
    ingress: 'alb',
    allowPlainHttp: true,
    allowedCidrs: ['10.0.0.0/8'],
  },
  /** Keycloak provisioning with a customer managed key on its client secret, reserved concurrency off. */
  keycloak: {
    stage: 'kc',
    allowedCidrs: ['10.0.0.0/8'],
    keycloak: {
      url: 'https://id.example.com',
      realm: 'platform',
      clientId: 'tenant-registry',
      clientSecretArn: KEYCLOAK_SECRET_ARN,
      clientSecretKmsKeyArn: KEYCLOAK_KMS_KEY_ARN,
    },
    verifyReservedConcurrency: false,
    tenantReservedConcurrency: false,
  },
} as const satisfies Record<string, TenantRegistryProps>;
export type Variant = keyof typeof VARIANTS;

/** A cdk-nag finding nobody acknowledged. */
export interface Finding {
  readonly pack: string;
  readonly rule: string;
  readonly paths: readonly string[];
}

export interface Synthesized {
  /**
   * Every stack's resources and outputs in one template, each `Fn::GetStackOutput` replaced by
   * the producer's output value: the app as if it were one stack, for assertions that follow
   * references (a function's policy naming `<TableCD117FA1.Arn>`). Logical ids never collide
   * across the stacks (checked).
   */
  readonly template: Record<string, any>;
  /** Each stack's own template, by stack name. */
  readonly stacks: Readonly<Record<string, Record<string, any>>>;
  readonly findings: readonly Finding[];
  /** Acknowledgements recorded in the construct tree: rule id -> reasons. */
  readonly acknowledgements: Readonly<Record<string, readonly string[]>>;
}

/**
 * The stacks of one variant, synthesized without bundling (context `aws:cdk:bundling-stacks: []`)
 * with cdk.json's feature flags, plus what cdk-nag's AwsSolutions and Serverless packs find.
 * Synthesis is slow, so the result is kept in a file named by a hash of everything that can
 * change it (lib/ and every module it imports, openapi.yaml, cdk.json, package-lock.json and
 * which function entries exist): test files and runs share it; any change of an input
 * synthesizes afresh.
 */
export function synthesize(variant: Variant): Synthesized {
  const key = inputHash(variant);
  const file = join(CACHE_DIR, `${variant}-${key}.json`);
  let stored: Omit<Synthesized, 'template'>;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Omit<Synthesized, 'template'>;
  } else {
    stored = synthesizeNow(variant);
    mkdirSync(CACHE_DIR, { recursive: true });
    for (const stale of readdirSync(CACHE_DIR).filter((f) => f.startsWith(`${variant}-`))) {
      rmSync(join(CACHE_DIR, stale), { force: true });
    }
    writeFileSync(file, JSON.stringify(stored));
  }
  return { ...stored, template: linked(stored.stacks) };
}

export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** The stacks of a configuration, under the test stage id `TenantRegistry-test`, not yet synthesized. */
export function synthesizeRegistry(props: TenantRegistryProps): { app: App; registry: TenantRegistry } {
  const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const registry = new TenantRegistry(app, 'TenantRegistry-test', { env: ENV, ...props });
  return { app, registry };
}

function synthesizeNow(variant: Variant): Omit<Synthesized, 'template'> {
  const { app, registry } = synthesizeRegistry(VARIANTS[variant] as TenantRegistryProps);
  const assembly = app.synth();
  const stacks: Record<string, Record<string, any>> = {};
  for (const stack of registry.stacks)
    stacks[stack.stackName] = assembly.getStackByName(stack.stackName).template;
  const findings: Finding[] = [];
  for (const stack of registry.stacks) {
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      for (const v of pack.validateScope(stack).violations) {
        findings.push({
          pack: pack.name,
          rule: v.ruleName,
          paths: v.violatingResources.map((r) => r.constructPath ?? ''),
        });
      }
    }
  }
  const acknowledgements: Record<string, string[]> = {};
  for (const stack of registry.stacks) {
    for (const c of stack.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== 'aws:cdk:acknowledged-rules' || !entry.data) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          const rule = id.replace(/^annotation::/i, '');
          acknowledgements[rule] = [...(acknowledgements[rule] ?? []), String(reason)];
        }
      }
    }
  }
  return { stacks, findings, acknowledgements };
}

/** The stacks as one template, references followed (see `Synthesized.template`). */
export function linked(stacks: Readonly<Record<string, Record<string, any>>>): Record<string, any> {
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const ref = o['Fn::GetStackOutput'] as { StackName?: string; OutputName?: string } | undefined;
      if (ref && Object.keys(o).length === 1) {
        const producer = stacks[ref.StackName ?? ''];
        const output = producer?.Outputs?.[ref.OutputName ?? ''];
        if (!output) throw new Error(`dangling reference to ${ref.StackName}.${ref.OutputName}`);
        return resolve(output.Value);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  const merged: Record<string, any> = { Resources: {}, Outputs: {} };
  for (const [name, template] of Object.entries(stacks)) {
    for (const section of ['Resources', 'Outputs'] as const) {
      for (const [id, value] of Object.entries((template[section] ?? {}) as Record<string, unknown>)) {
        if (id in merged[section]) throw new Error(`${section} id ${id} of ${name} also in another stack`);
        merged[section][id] = resolve(value);
      }
    }
  }
  return merged;
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
    importClosure(join(ROOT, 'lib', 'tenant-registry.ts'), files);
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
