import * as z from 'zod/mini';

/** Any JSON value is accepted as `key`: whatever is not a well-formed key is `valid: false`. */
export const VerifyApiKeyBody = z.strictObject({ key: z.unknown() });
