export const TEMPLATE_DATABASE = 'regain_test_template';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Tests create and drop databases: refuse anything that is not on this machine. */
export function assertLocalDatabaseUrl(url: string) {
  const host = new URL(url).hostname;
  if (!LOCAL_HOSTS.has(host)) {
    throw new Error(`Refusing to run tests against a non-local database (${host}). Unset DATABASE_URL or point it at localhost.`);
  }
}
