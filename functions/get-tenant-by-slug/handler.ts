import * as z from 'zod/mini';
import { aliasLookup } from '../../shared/app';
import * as contract from '../../shared/contract/routes';
import { tenantView } from '../../shared/domain/tenant';
import { endpoint } from '../../shared/http/endpoint';
import { reply } from '../../shared/http/responses';
import { slug } from '../../shared/http/schemas';

export const handler = endpoint(
  { operation: contract.getTenantBySlug, plane: 'operator', params: z.strictObject({ slug }) },
  async ({ params }) => {
    const tenant = await aliasLookup().tenantFor(params.slug);
    return reply(tenantView(tenant), { etag: tenant.version });
  },
);
