import { tenants } from '../../shared/app';
import { endpoint } from '../../shared/http/endpoint';
import { slug, uuid, z } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: 'removeAlias', plane: 'operator', params: z.strictObject({ id: uuid, slug }) },
  async ({ params, actor }) => tenants().removeAlias(params.id, params.slug, actor, {}),
);
