import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageConfig } from '../../lib/stage-config';
import {
  parseConfig,
  parseEventsConfig,
  parseKeycloakConfig,
  parseLocalConfig,
  parseTenantSelectionConfig,
} from '../../shared/config/env';

/**
 * The docs keep telling the truth about what they point at: every relative link and anchor in
 * README.md and docs/*.md resolves, and docs/configuration.md lists exactly the environment
 * variables and context keys the parsers read.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The text outside fenced code blocks and inline code, where links and headings live. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/(`+)[\s\S]*?\1/g, (code) => code.replace(/[[\]()]/g, ' '));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a file offers: its headings (repeats get -1, -2, ... as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = anchorOf(heading ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The relative links of a file that do not resolve, as `target: why`. */
function brokenLinks(
  file: string,
  markdown: string,
  readTarget: (path: string) => string | undefined,
): string[] {
  const broken: string[] = [];
  for (const [, target] of prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : join(dirname(file), decodeURIComponent(path));
    const text = path === '' ? markdown : readTarget(resolved);
    if (text === undefined) {
      broken.push(`${target}: no such file (${resolved})`);
      continue;
    }
    if (anchor !== undefined && anchor !== '') {
      if (!resolved.endsWith('.md')) broken.push(`${target}: an anchor into a file that is not markdown`);
      else if (!anchorsOf(text).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${resolved}`);
    }
  }
  return broken;
}

function readFromRepo(path: string): string | undefined {
  const absolute = resolve(ROOT, path);
  if (relative(ROOT, absolute).startsWith('..') || !existsSync(absolute)) return undefined;
  return statSync(absolute).isDirectory() ? '' : readFileSync(absolute, 'utf8');
}

describe('links in README.md and docs/', () => {
  test('anchors are made as GitHub makes them', () => {
    expect(anchorOf('Query and body: one set of parameters')).toBe('query-and-body-one-set-of-parameters');
    expect(anchorOf('Selection settings (seed 002)')).toBe('selection-settings-seed-002');
    expect(anchorOf('`npm run reconcile` and HEAD/OPTIONS')).toBe('npm-run-reconcile-and-headoptions');
    expect([...anchorsOf('# A\n## Usage\n```sh\n# not a heading\n```\n### Usage\n')]).toEqual([
      'a',
      'usage',
      'usage-1',
    ]);
  });

  test('a broken file, a broken anchor and a link out of the repository are each reported', () => {
    const files: Record<string, string> = { 'docs/a.md': '# Deploy\n', 'docs/b.md': '' };
    const markdown =
      '[ok](a.md#deploy) [ok](b.md) [web](https://example.com/x.md#y) `[code](nowhere.md)`\n' +
      '[gone](c.md) [anchor](a.md#rollback) [self](#deploy)\n```\n[fenced](nowhere.md)\n```\n';
    expect(brokenLinks('docs/b.md', markdown, (p) => files[p])).toEqual([
      'c.md: no such file (docs/c.md)',
      'a.md#rollback: no heading #rollback in docs/a.md',
      '#deploy: no heading #deploy in docs/b.md',
    ]);
  });

  test.each(DOCS)('%s: every relative link and anchor resolves', (file) => {
    expect(brokenLinks(file, read(file), readFromRepo)).toEqual([]);
  });

  test('the README links every page of docs/', () => {
    const readme = read('README.md');
    const unlinked = DOCS.filter((f) => f.startsWith('docs/') && !readme.includes(`](${f}`));
    expect(unlinked).toEqual([]);
  });
});

/** The names a parser reads from its source, whatever it makes of them. */
function namesRead(parse: (source: Record<string, string | undefined>) => unknown, given = {}): string[] {
  const read = new Set<string>();
  const source = new Proxy(given as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  parse(source);
  return [...read];
}

describe('docs/configuration.md lists what the parsers read', () => {
  const configuration = read('docs/configuration.md');
  const documented = (name: string) => configuration.includes(`\`${name}\``);

  const environment = [
    ...namesRead(parseConfig),
    ...namesRead(parseTenantSelectionConfig),
    ...namesRead(parseKeycloakConfig, {
      TENANT_REGISTRY_KEYCLOAK_URL: 'https://id.example.com',
      TENANT_REGISTRY_KEYCLOAK_REALM: 'platform',
      TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: 'tenant-registry',
      TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: 'secret',
    }),
    ...namesRead(parseLocalConfig),
    ...namesRead(parseEventsConfig),
  ].filter((name) => /^(TENANT_REGISTRY_|AWS_ENDPOINT_URL|PORT$)/.test(name));
  const contextKeys: string[] = [];
  stageConfig((key) => {
    contextKeys.push(key);
    return undefined;
  });

  test('the parsers were observed reading (the probe itself works)', () => {
    expect(environment).toEqual(
      expect.arrayContaining([
        'TENANT_REGISTRY_API_ENABLED',
        'TENANT_REGISTRY_TENANT_HEADER',
        'TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS',
        'TENANT_REGISTRY_DATA_DIR',
        'PORT',
      ]),
    );
    expect(contextKeys).toEqual(expect.arrayContaining(['stage', 'tenantRateLimit', 'keycloakUrl']));
  });

  test('every environment variable a parser reads has its row', () => {
    expect(environment.filter((name) => !documented(name))).toEqual([]);
  });

  test('every context key the CDK app asks for has its row', () => {
    expect(contextKeys.filter((key) => !documented(key))).toEqual([]);
  });

  test('the context table names no key the app does not read', () => {
    const table = configuration.slice(configuration.indexOf('## CDK context'));
    const keys = [...table.matchAll(/^\| ([^|]+) \|/gm)]
      .flatMap(([, cell]) => [...(cell ?? '').matchAll(/`([A-Za-z]+)`/g)].map(([, key]) => key))
      .filter((key): key is string => key !== undefined);
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((key) => !contextKeys.includes(key))).toEqual([]);
  });

  test('README.md and docs/ name no TENANT_REGISTRY_ variable that does not exist', () => {
    const known = new Set(environment);
    const unknown = DOCS.flatMap((file) =>
      [...read(file).matchAll(/\bTENANT_REGISTRY_[A-Z0-9_]*[A-Z0-9]\b/g)]
        .map(([name]) => name)
        .filter((name) => !known.has(name))
        .map((name) => `${file}: ${name}`),
    );
    expect([...new Set(unknown)]).toEqual([]);
  });
});
