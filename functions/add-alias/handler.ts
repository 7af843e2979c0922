import { tenants } from '../../shared/app';
import { endpoint } from '../../shared/http/endpoint';
import { slug, tenantIdParams, z } from '../../shared/http/schemas';

export const handler = endpoint(
  {
    operation: 'addAlias',
    plane: 'operator',
    params: tenantIdParams,
    body: z.strictObject({ slug }),
    status: 201,
  },
  async ({ params, body, actor }) => tenants().addAlias(params.id, body.slug, actor, {}),
);
