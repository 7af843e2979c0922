import * as z from 'zod/mini';
import { aliasAddition } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { pathOf, reply } from '../../shared/http/responses';
import { slug, tenantIdParams } from '../../shared/http/schemas';

export const handler = endpoint(
  {
    operation: contract.addAlias,
    plane: 'operator',
    params: tenantIdParams,
    body: z.strictObject({ slug }),
    status: 201,
  },
  async ({ params, body, actor }) => {
    const alias = await aliasAddition().add(params.id, body.slug, actor);
    return reply(alias, { location: pathOf(contract.removeAlias, { id: params.id, slug: alias.slug }) });
  },
);
