import * as z from 'zod/mini';
import { identifier, identifierList } from '../../shared/http/field-schemas';
import { isPlainObject, text } from '../../shared/http/schemas';

const isHttpUrl = (v: string) => {
  try {
    const url = new URL(v);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

export const PutCatalogEntryParams = z.strictObject({ key: identifier });

/**
 * `paths` is checked here only as a JSON object, never rebuilt (it is stored as sent); the
 * service validates it as an OpenAPI paths object with messages that say where it is wrong.
 */
export const PutCatalogEntryBody = z.strictObject({
  name: text(255),
  description: z.string().check(z.maxLength(2000)),
  plans_required: identifierList,
  demo_url: z.optional(z.string().check(z.maxLength(2048), z.refine(isHttpUrl, 'must be an http(s) URL'))),
  supports_trial: z.boolean(),
  paths: z.optional(
    z.custom<Record<string, unknown>>().check(z.refine(isPlainObject, 'must be an OpenAPI paths object')),
  ),
});
