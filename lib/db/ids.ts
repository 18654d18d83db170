/**
 * Whether a string is a UUID PostgreSQL will accept. Checked before a query: a string that merely
 * looks like one (36 dashes) would otherwise make the database raise an error, which is a 500.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
