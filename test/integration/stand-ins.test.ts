import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { SecretsManagerStandIn } from '../../bin/local/secrets-manager-stand-in';
import { SsmStandIn } from '../../bin/local/ssm-stand-in';

/**
 * The local stand-ins are only useful if the real SDK clients cannot tell them from AWS, so every
 * case here goes through `@aws-sdk/client-ssm` / `@aws-sdk/client-secrets-manager`.
 */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const ssmClient = (url: string) => new SSMClient({ endpoint: url, region: 'local', credentials });
const smClient = (url: string) => new SecretsManagerClient({ endpoint: url, region: 'local', credentials });

/** The `.name` of what `promise` rejects with. */
async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
  throw new Error('expected a rejection');
}

describe('SSM stand-in', () => {
  let standIn: SsmStandIn;
  let ssm: SSMClient;

  beforeEach(async () => {
    standIn = await SsmStandIn.start();
    ssm = ssmClient(standIn.url);
  });

  afterEach(async () => {
    ssm.destroy();
    await standIn.close();
  });

  it('puts, overwrites and gets a parameter with AWS-shaped metadata', async () => {
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const created = await ssm.send(new PutParameterCommand({ Name: '/tr/a', Value: 'one', Type: 'String' }));
    expect(created).toMatchObject({ Version: 1, Tier: 'Standard' });

    expect(
      await errorName(ssm.send(new PutParameterCommand({ Name: '/tr/a', Value: 'two', Type: 'String' }))),
    ).toBe('ParameterAlreadyExists');

    const updated = await ssm.send(new PutParameterCommand({ Name: '/tr/a', Value: 'two', Overwrite: true }));
    expect(updated.Version).toBe(2);

    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/tr/a' }));
    expect(Parameter).toMatchObject({
      Name: '/tr/a',
      Type: 'String',
      Value: 'two',
      Version: 2,
      ARN: 'arn:aws:ssm:local:000000000000:parameter/tr/a',
      DataType: 'text',
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    expect(Math.abs((Parameter?.LastModifiedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('reports missing parameters as ParameterNotFound and deletes', async () => {
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: '/tr/missing' })))).toBe(
      'ParameterNotFound',
    );
    expect(await errorName(ssm.send(new DeleteParameterCommand({ Name: '/tr/missing' })))).toBe(
      'ParameterNotFound',
    );

    await ssm.send(new PutParameterCommand({ Name: '/tr/gone', Value: 'x', Type: 'String' }));
    await ssm.send(new DeleteParameterCommand({ Name: '/tr/gone' }));
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: '/tr/gone' })))).toBe(
      'ParameterNotFound',
    );

    // Recreated after a delete, the version starts over.
    const again = await ssm.send(new PutParameterCommand({ Name: '/tr/gone', Value: 'y', Type: 'String' }));
    expect(again.Version).toBe(1);
  });

  it('rejects malformed names and bad MaxResults with ValidationException', async () => {
    expect(
      await errorName(
        ssm.send(new PutParameterCommand({ Name: 'tr/no-leading-slash', Value: 'x', Type: 'String' })),
      ),
    ).toBe('ValidationException');
    expect(await errorName(ssm.send(new GetParametersByPathCommand({ Path: '/tr', MaxResults: 11 })))).toBe(
      'ValidationException',
    );
    expect(await errorName(ssm.send(new GetParametersByPathCommand({ Path: 'tr' })))).toBe(
      'ValidationException',
    );
  });

  it('refuses the names AWS reserves (beginning with aws or ssm, any case) with the errors AWS returns', async () => {
    const failure = async (name: string) => {
      try {
        await ssm.send(new PutParameterCommand({ Name: name, Value: 'x', Type: 'String' }));
      } catch (error) {
        return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      return 'written';
    };
    const prefixed = 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).';
    expect(await failure('/aws/tenant-registry/aliases/acme')).toBe(
      'AccessDeniedException: No access to reserved parameter name: aws/tenant-registry/aliases/acme.',
    );
    expect(await failure('/AWSome/x')).toBe(
      'AccessDeniedException: No access to reserved parameter name: AWSome/x.',
    );
    expect(await failure('/ssm/x')).toMatch(
      /^ValidationException: Parameter name: can't be prefixed with "ssm" \(case-insensitive\)\. If formed as a path/,
    );
    expect(await failure('awsTestParameter')).toBe(`ValidationException: ${prefixed}`);
    expect(await failure('SSM-testparameter')).toBe(`ValidationException: ${prefixed}`);
    expect(await failure('/aws')).toBe(`ValidationException: ${prefixed}`);
    // Only the start of the name is reserved.
    expect(await failure('/tenant-registry/aws/ssm')).toBe('written');
    expect(await failure('/my-aws/x')).toBe('written');
    // Reading is not refused (AWS's public parameters live under /aws/service/...): just absent.
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: '/aws/service/x' })))).toBe(
      'ParameterNotFound',
    );
  });

  it('gets several parameters at once, listing the missing ones', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/tr/x', Value: '1', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/tr/y', Value: '2', Type: 'SecureString' }));

    const result = await ssm.send(new GetParametersCommand({ Names: ['/tr/x', '/tr/nope', '/tr/y'] }));
    expect(result.Parameters?.map((p) => [p.Name, p.Value, p.Type])).toEqual([
      ['/tr/x', '1', 'String'],
      ['/tr/y', '2', 'SecureString'],
    ]);
    expect(result.InvalidParameters).toEqual(['/tr/nope']);
  });

  it('lists direct children only unless Recursive, sorted by name', async () => {
    for (const name of ['/p/b', '/p/a', '/p/sub/c', '/p/sub/deep/d', '/px/not-a-child', '/other/e']) {
      await ssm.send(new PutParameterCommand({ Name: name, Value: name, Type: 'String' }));
    }
    const names = async (Path: string, Recursive: boolean) =>
      (await ssm.send(new GetParametersByPathCommand({ Path, Recursive }))).Parameters?.map((p) => p.Name);

    expect(await names('/p', false)).toEqual(['/p/a', '/p/b']);
    expect(await names('/p', true)).toEqual(['/p/a', '/p/b', '/p/sub/c', '/p/sub/deep/d']);
    expect(await names('/p/sub', false)).toEqual(['/p/sub/c']);
    expect(await names('/nothing', true)).toEqual([]);
  });

  it('paginates 25 parameters, returning each survivor once when others are deleted between pages', async () => {
    const all = Array.from({ length: 25 }, (_, i) => `/page/p${String(i).padStart(2, '0')}`);
    for (const name of all)
      await ssm.send(new PutParameterCommand({ Name: name, Value: name, Type: 'String' }));

    const seen: string[] = [];
    const deleted = new Set<string>();
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ssm.send(
        new GetParametersByPathCommand({ Path: '/page', MaxResults: 10, NextToken }),
      );
      pages += 1;
      expect(page.Parameters?.length ?? 0).toBeLessThanOrEqual(10);
      seen.push(...(page.Parameters ?? []).map((p) => p.Name ?? ''));
      NextToken = page.NextToken;
      if (pages === 1) {
        // Delete one already seen and two not yet reached: neither shift the cursor.
        for (const name of ['/page/p03', '/page/p10', '/page/p15']) {
          await ssm.send(new DeleteParameterCommand({ Name: name }));
          deleted.add(name);
        }
      }
      if (pages === 2) {
        await ssm.send(new DeleteParameterCommand({ Name: '/page/p24' }));
        deleted.add('/page/p24');
      }
    } while (NextToken);

    const expected = all.filter((name) => name <= '/page/p09' || !deleted.has(name));
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(3);
  });

  it('counts calls per operation', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/s/a', Value: 'x', Type: 'String' }));
    await ssm.send(new GetParameterCommand({ Name: '/s/a' }));
    await errorName(ssm.send(new GetParameterCommand({ Name: '/s/none' })));
    expect(standIn.stats()).toEqual({ PutParameter: 1, GetParameter: 2 });

    standIn.resetStats();
    expect(standIn.stats()).toEqual({});
    await ssm.send(new GetParametersByPathCommand({ Path: '/s' }));
    expect(standIn.stats()).toEqual({ GetParametersByPath: 1 });
  });

  it('answers unknown operations and oversized bodies with JSON errors', async () => {
    const unknown = await fetch(standIn.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.LabelParameterVersion',
      },
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('InvalidAction');
    expect(await unknown.json()).toMatchObject({ __type: 'InvalidAction' });

    const huge = await fetch(standIn.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.PutParameter' },
      body: JSON.stringify({ Name: '/big', Value: 'x'.repeat(2 * 1024 * 1024), Type: 'String' }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ __type: 'RequestEntityTooLargeException' });
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: '/big' })))).toBe('ParameterNotFound');
  });

  it('is reachable through AWS_ENDPOINT_URL_SSM', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SSM;
    process.env.AWS_ENDPOINT_URL_SSM = standIn.url;
    const fromEnv = new SSMClient({ region: 'local', credentials });
    try {
      await fromEnv.send(new PutParameterCommand({ Name: '/env/a', Value: 'v', Type: 'String' }));
      expect((await ssm.send(new GetParameterCommand({ Name: '/env/a' }))).Parameter?.Value).toBe('v');
    } finally {
      fromEnv.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SSM;
      else process.env.AWS_ENDPOINT_URL_SSM = saved;
    }
  });
});

describe('Secrets Manager stand-in', () => {
  let standIn: SecretsManagerStandIn;
  let sm: SecretsManagerClient;

  beforeEach(async () => {
    standIn = await SecretsManagerStandIn.start();
    sm = smClient(standIn.url);
  });

  afterEach(async () => {
    sm.destroy();
    await standIn.close();
  });

  const arn = (name: string) => `arn:aws:secretsmanager:local:000000000000:secret:${name}-abcdef`;

  it('creates a secret and reads AWSCURRENT by name or ARN', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'tr/admin', SecretString: 'token-1' }));
    expect(created.ARN).toBe(arn('tr/admin'));
    expect(created.Name).toBe('tr/admin');
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);

    for (const SecretId of ['tr/admin', arn('tr/admin')]) {
      const value = await sm.send(new GetSecretValueCommand({ SecretId }));
      expect(value).toMatchObject({
        ARN: arn('tr/admin'),
        Name: 'tr/admin',
        VersionId: created.VersionId,
        SecretString: 'token-1',
        VersionStages: ['AWSCURRENT'],
      });
      expect(value.CreatedDate).toBeInstanceOf(Date);
    }
  });

  it('reports missing secrets, stages and versions as ResourceNotFoundException', async () => {
    expect(await errorName(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })))).toBe(
      'ResourceNotFoundException',
    );
    await sm.send(new CreateSecretCommand({ Name: 'tr/fresh', SecretString: 's' }));
    expect(
      await errorName(
        sm.send(new GetSecretValueCommand({ SecretId: 'tr/fresh', VersionStage: 'AWSPREVIOUS' })),
      ),
    ).toBe('ResourceNotFoundException');
    expect(
      await errorName(
        sm.send(
          new GetSecretValueCommand({
            SecretId: 'tr/fresh',
            VersionId: '00000000-0000-0000-0000-000000000000',
          }),
        ),
      ),
    ).toBe('ResourceNotFoundException');
    expect(await errorName(sm.send(new DescribeSecretCommand({ SecretId: 'nope' })))).toBe(
      'ResourceNotFoundException',
    );
  });

  it('refuses a second CreateSecret but replays one with the same ClientRequestToken', async () => {
    const token = 'a'.repeat(32);
    const first = await sm.send(
      new CreateSecretCommand({ Name: 'dup', SecretString: 'v', ClientRequestToken: token }),
    );
    expect(first.VersionId).toBe(token);
    const replay = await sm.send(
      new CreateSecretCommand({ Name: 'dup', SecretString: 'v', ClientRequestToken: token }),
    );
    expect(replay.VersionId).toBe(token);

    expect(await errorName(sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'v' })))).toBe(
      'ResourceExistsException',
    );
    expect(
      await errorName(
        sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'other', ClientRequestToken: token })),
      ),
    ).toBe('ResourceExistsException');
  });

  it('rotates with PutSecretValue: the old current becomes AWSPREVIOUS, the one before is deprecated', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'rot', SecretString: 'one' }))).VersionId;
    const v2 = (await sm.send(new PutSecretValueCommand({ SecretId: 'rot', SecretString: 'two' }))).VersionId;

    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'rot' }))).SecretString).toBe('two');
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: 'rot', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous).toMatchObject({ SecretString: 'one', VersionId: v1, VersionStages: ['AWSPREVIOUS'] });

    const put3 = await sm.send(new PutSecretValueCommand({ SecretId: 'rot', SecretString: 'three' }));
    expect(put3.VersionStages).toEqual(['AWSCURRENT']);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'rot' }));
    expect(described).toMatchObject({ ARN: arn('rot'), Name: 'rot', RotationEnabled: false });
    expect(described.VersionIdsToStages).toEqual({
      [String(v2)]: ['AWSPREVIOUS'],
      [String(put3.VersionId)]: ['AWSCURRENT'],
    });

    // The deprecated first version is still readable by id, with no stages.
    const old = await sm.send(new GetSecretValueCommand({ SecretId: 'rot', VersionId: v1 }));
    expect(old).toMatchObject({ SecretString: 'one', VersionStages: [] });

    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'rot' }));
    expect(listed.Versions?.map((v) => v.VersionId).sort()).toEqual([v2, put3.VersionId].sort());
    const withDeprecated = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'rot', IncludeDeprecated: true }),
    );
    expect(withDeprecated.Versions).toHaveLength(3);
  });

  it('stages a pending version and promotes it with UpdateSecretVersionStage, as AWS rotation does', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'pend', SecretString: 'one' }))).VersionId;
    const pending = await sm.send(
      new PutSecretValueCommand({ SecretId: 'pend', SecretString: 'two', VersionStages: ['AWSPENDING'] }),
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'pend' }))).SecretString).toBe('one');
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'pend', VersionStage: 'AWSPENDING' })))
        .SecretString,
    ).toBe('two');

    // AWS insists on naming the version that currently holds the label.
    expect(
      await errorName(
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: 'pend',
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: pending.VersionId,
          }),
        ),
      ),
    ).toBe('InvalidParameterException');

    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'pend',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: v1,
      }),
    );
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'pend',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pending.VersionId,
      }),
    );
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'pend' }))).VersionIdsToStages).toEqual({
      [String(v1)]: ['AWSPREVIOUS'],
      [String(pending.VersionId)]: ['AWSCURRENT'],
    });
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'pend', VersionStage: 'AWSPREVIOUS' })))
        .SecretString,
    ).toBe('one');

    // Rolling back moves AWSCURRENT again; the version losing it becomes AWSPREVIOUS.
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'pend',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v1,
        RemoveFromVersionId: pending.VersionId,
      }),
    );
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'pend' }))).VersionIdsToStages).toEqual({
      [String(v1)]: ['AWSCURRENT'],
      [String(pending.VersionId)]: ['AWSPREVIOUS'],
    });
    expect(
      await errorName(
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: 'pend',
            VersionStage: 'AWSCURRENT',
            RemoveFromVersionId: v1,
          }),
        ),
      ),
    ).toBe('InvalidParameterException');
  });

  it('counts calls per operation', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'count', SecretString: 'x' }));
    await sm.send(new GetSecretValueCommand({ SecretId: 'count' }));
    await sm.send(new GetSecretValueCommand({ SecretId: 'count' }));
    await errorName(sm.send(new GetSecretValueCommand({ SecretId: 'count', VersionStage: 'AWSPREVIOUS' })));
    expect(standIn.stats()).toEqual({ CreateSecret: 1, GetSecretValue: 3 });
    standIn.resetStats();
    expect(standIn.stats()).toEqual({});
  });

  it('is reachable through AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = standIn.url;
    const fromEnv = new SecretsManagerClient({ region: 'local', credentials });
    try {
      await fromEnv.send(new CreateSecretCommand({ Name: 'env', SecretString: 'v' }));
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'env' }))).SecretString).toBe('v');
    } finally {
      fromEnv.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });
});

describe('stand-in persistence', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stand-ins-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps SSM parameters across a restart with the same file', async () => {
    const file = join(dir, 'nested', 'ssm.json');
    const first = await SsmStandIn.start({ file });
    const client = ssmClient(first.url);
    await client.send(new PutParameterCommand({ Name: '/keep/a', Value: '1', Type: 'String' }));
    await client.send(new PutParameterCommand({ Name: '/keep/a', Value: '2', Overwrite: true }));
    await client.send(new PutParameterCommand({ Name: '/keep/b', Value: 'b', Type: 'String' }));
    await client.send(new DeleteParameterCommand({ Name: '/keep/b' }));
    client.destroy();
    await first.close();
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('parameters');
    expect(await readdir(join(dir, 'nested'))).toEqual(['ssm.json']);

    const second = await SsmStandIn.start({ file });
    const again = ssmClient(second.url);
    try {
      const { Parameter } = await again.send(new GetParameterCommand({ Name: '/keep/a' }));
      expect(Parameter).toMatchObject({ Value: '2', Version: 2 });
      expect(await errorName(again.send(new GetParameterCommand({ Name: '/keep/b' })))).toBe(
        'ParameterNotFound',
      );
    } finally {
      again.destroy();
      await second.close();
    }
  });

  it('keeps secrets and their stages across a restart with the same file', async () => {
    const file = join(dir, 'secrets.json');
    const first = await SecretsManagerStandIn.start({ file });
    const client = smClient(first.url);
    await client.send(new CreateSecretCommand({ Name: 'keep', SecretString: 'one' }));
    await client.send(new PutSecretValueCommand({ SecretId: 'keep', SecretString: 'two' }));
    client.destroy();
    await first.close();
    expect(await readdir(dir)).toEqual(['secrets.json']);

    const second = await SecretsManagerStandIn.start({ file });
    const again = smClient(second.url);
    try {
      expect((await again.send(new GetSecretValueCommand({ SecretId: 'keep' }))).SecretString).toBe('two');
      const previous = await again.send(
        new GetSecretValueCommand({ SecretId: 'keep', VersionStage: 'AWSPREVIOUS' }),
      );
      expect(previous.SecretString).toBe('one');
    } finally {
      again.destroy();
      await second.close();
    }
  });

  it('refuses to start on a file that is not its state', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"something":"else"}');
    await expect(SsmStandIn.start({ file })).rejects.toThrow(/not an SSM stand-in state file/);
    await expect(SecretsManagerStandIn.start({ file })).rejects.toThrow(/not a Secrets Manager/);
  });
});
