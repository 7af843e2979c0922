/**
 * Seed 003's conformance rule for tenant-plane POSTs: a parameter may come from the query
 * string, the JSON body or both; they are merged and the body wins on conflict. The one
 * implementation every such route uses (the input middleware applies it before validation), so
 * `?product=a` with `{"product":"b"}` is `b` everywhere. Query values stay strings; a schema
 * that takes a list accepts it comma-separated.
 */
export function mergeParameters(
  query: Readonly<Record<string, string>>,
  body: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return { ...query, ...body };
}
