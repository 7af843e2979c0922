import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process Keycloak that speaks the three admin endpoints the adapter uses, the way
 * Keycloak 26 answers them: the client-credentials token endpoint, organization create
 * (201 + Location, 409 on a taken alias or name) and invite-user (form body, 204, no link).
 * It records every request and can fail, or hang, at any step.
 */

export type StubStep = 'token' | 'organization' | 'invite';

/** A status to answer instead, or 'hang' to never answer (until the stub closes). */
export type StubFault = number | 'hang';

export interface RecordedRequest {
  readonly step: StubStep | 'unknown';
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The body parsed as a form or JSON. */
  readonly fields: Record<string, unknown>;
}

export interface StubOrganization {
  readonly id: string;
  readonly name: string;
  readonly alias: string;
  readonly attributes: Record<string, string[]>;
  readonly invited: { email: string; firstName?: string }[];
}

export interface KeycloakStub {
  readonly url: string;
  readonly realm: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[];
  readonly organizations: Map<string, StubOrganization>;
  /** Access tokens handed out, to search logs and events for them. */
  readonly issuedTokens: string[];
  faults: Partial<Record<StubStep, StubFault>>;
  /** Answer invite-user with this Location (an extension exposing the invitation link). */
  inviteLocation?: (org: StubOrganization) => string;
  reset(): void;
  close(): Promise<void>;
}

export async function startKeycloakStub(
  options: { realm?: string; clientId?: string; clientSecret?: string } = {},
): Promise<KeycloakStub> {
  const realm = options.realm ?? 'tenants';
  const clientId = options.clientId ?? 'tenant-registry';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const requests: RecordedRequest[] = [];
  const organizations = new Map<string, StubOrganization>();
  const issuedTokens: string[] = [];
  const hanging = new Set<ServerResponse>();

  const stub: KeycloakStub = {
    url: '',
    realm,
    clientId,
    clientSecret,
    requests,
    organizations,
    issuedTokens,
    faults: {},
    reset() {
      requests.length = 0;
      organizations.clear();
      stub.faults = {};
      delete stub.inviteLocation;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const tokenPath = `/realms/${realm}/protocol/openid-connect/token`;
  const orgsPath = `/admin/realms/${realm}/organizations`;
  const invitePattern = new RegExp(`^${orgsPath}/([^/]+)/members/invite-user$`);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const step: StubStep | 'unknown' =
      path === tokenPath
        ? 'token'
        : path === orgsPath
          ? 'organization'
          : invitePattern.test(path)
            ? 'invite'
            : 'unknown';
    const fields = parseFields(req.headers['content-type'], body);
    requests.push({ step, method: req.method ?? '', path, headers: { ...req.headers }, body, fields });
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    if (step === 'unknown' || req.method !== 'POST') return send(404, { error: 'not found' });
    const fault = stub.faults[step];
    if (fault === 'hang') {
      hanging.add(res);
      return;
    }
    if (fault !== undefined) return send(fault, { errorMessage: `stub failure at ${step}` });

    if (step === 'token') {
      if (
        fields.grant_type !== 'client_credentials' ||
        fields.client_id !== clientId ||
        fields.client_secret !== clientSecret
      ) {
        return send(401, { error: 'unauthorized_client' });
      }
      const token = randomBytes(32).toString('base64url');
      issuedTokens.push(token);
      return send(200, { access_token: token, expires_in: 300, token_type: 'Bearer' });
    }
    const auth = req.headers.authorization ?? '';
    if (!issuedTokens.some((t) => auth === `Bearer ${t}`))
      return send(401, { error: 'HTTP 401 Unauthorized' });

    if (step === 'organization') {
      const { name, alias, attributes } = fields as { name?: string; alias?: string; attributes?: unknown };
      if (typeof name !== 'string' || typeof alias !== 'string') return send(400, { errorMessage: 'name' });
      for (const org of organizations.values()) {
        if (org.alias === alias || org.name === name) {
          return send(409, { errorMessage: 'A organization with the same name or alias already exists' });
        }
      }
      const id = randomUUID();
      organizations.set(id, {
        id,
        name,
        alias,
        attributes: (attributes ?? {}) as Record<string, string[]>,
        invited: [],
      });
      return send(201, undefined, { location: `${stub.url}${orgsPath}/${id}` });
    }

    const org = organizations.get(invitePattern.exec(path)?.[1] ?? '');
    if (!org) return send(404, { errorMessage: 'Organization not found' });
    if (typeof fields.email !== 'string') return send(400, { errorMessage: 'email' });
    if (org.invited.some((i) => i.email === fields.email))
      return send(409, { errorMessage: 'already a member' });
    org.invited.push({
      email: fields.email,
      ...(typeof fields.firstName === 'string' ? { firstName: fields.firstName } : {}),
    });
    return send(204, undefined, stub.inviteLocation ? { location: stub.inviteLocation(org) } : {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (stub as { url: string }).url = `http://127.0.0.1:${port}`;
  return stub;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseFields(contentType: string | undefined, body: string): Record<string, unknown> {
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(body));
  }
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
