import * as z from 'zod/mini';
import { aliasRemoval } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { endpoint } from '../../shared/http/endpoint';
import { slug, uuid } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.removeAlias, plane: 'operator', params: z.strictObject({ id: uuid, slug }) },
  async ({ params, actor }) => aliasRemoval().remove(params.id, params.slug, actor),
);
