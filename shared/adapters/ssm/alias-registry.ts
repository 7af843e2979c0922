import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { AliasRegistry, ListedAliasRegistry } from '../../ports/alias-registry';

/** Published aliases as SSM parameters: `<prefix>/aliases/<slug>` = tenant id. */
export class SsmAliasRegistry implements AliasRegistry {
  protected readonly path: string;

  constructor(
    protected readonly ssm: SSMClient,
    prefix: string,
  ) {
    this.path = `${prefix}/aliases`;
  }

  parameterName(slug: string): string {
    return `${this.path}/${slug}`;
  }

  async lookup(slug: string): Promise<string | undefined> {
    try {
      const { Parameter } = await this.ssm.send(new GetParameterCommand({ Name: this.parameterName(slug) }));
      return Parameter?.Value;
    } catch (error) {
      if (isNamed(error, 'ParameterNotFound')) return undefined;
      throw error;
    }
  }

  async publish(slug: string, tenantId: string): Promise<void> {
    await this.ssm.send(
      new PutParameterCommand({
        Name: this.parameterName(slug),
        Value: tenantId,
        Type: 'String',
        Overwrite: true,
      }),
    );
  }

  async unpublish(slug: string): Promise<void> {
    try {
      await this.ssm.send(new DeleteParameterCommand({ Name: this.parameterName(slug) }));
    } catch (error) {
      if (!isNamed(error, 'ParameterNotFound')) throw error;
    }
  }

  async ping(): Promise<void> {
    await this.lookup('readyz-probe');
  }
}

/**
 * With the listing of every published alias (GetParametersByPath), for the reconciler: a class
 * of its own because methods do not tree-shake, so the functions on the request path carry none.
 */
export class SsmListedAliasRegistry extends SsmAliasRegistry implements ListedAliasRegistry {
  async *entries(): AsyncIterable<{ slug: string; tenant_id: string }> {
    let NextToken: string | undefined;
    do {
      const page = await this.ssm.send(
        new GetParametersByPathCommand({ Path: this.path, Recursive: false, MaxResults: 10, NextToken }),
      );
      for (const p of page.Parameters ?? []) {
        if (p.Name && p.Value !== undefined)
          yield { slug: p.Name.slice(this.path.length + 1), tenant_id: p.Value };
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
