import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@/lib/config';

const key = Buffer.alloc(32, 7).toString('base64');
const valid = {
  DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/regain',
  AUTH_SECRET: 'x'.repeat(43),
  HMAC_KEY: key,
  AUDIT_KEY: key,
  ENCRYPTION_KEY: key,
};

function problemsOf(env: Record<string, string | undefined>) {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config', () => {
  it('accepts a complete environment and fills defaults', () => {
    const config = parseConfig(valid);
    expect(config.env).toBe('development');
    expect(config.appUrl).toBe('http://localhost:3000');
    expect(config.search).toEqual({ engine: 'embedded' });
    expect(config.hmacKey).toHaveLength(32);
  });

  it('TICKET_CANCEL_WINDOW_HOURS: 24 by default, whole hours up to a week (docs/security.md rule 27)', () => {
    expect(parseConfig(valid).ticketCancelWindowHours).toBe(24);
    expect(parseConfig({ ...valid, TICKET_CANCEL_WINDOW_HOURS: '48' }).ticketCancelWindowHours).toBe(48);
    expect(parseConfig({ ...valid, TICKET_CANCEL_WINDOW_HOURS: '0' }).ticketCancelWindowHours).toBe(0);
    for (const bad of ['-1', '1.5', '169', 'a day']) expect(problemsOf({ ...valid, TICKET_CANCEL_WINDOW_HOURS: bad }).join()).toMatch(/TICKET_CANCEL_WINDOW_HOURS must be a whole number of hours/);
  });

  it.each([
    ['DATABASE_URL', { ...valid, DATABASE_URL: undefined }, /DATABASE_URL is required/],
    ['DATABASE_URL', { ...valid, DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres/],
    ['AUTH_SECRET', { ...valid, AUTH_SECRET: 'short' }, /AUTH_SECRET must be at least 32/],
    ['HMAC_KEY', { ...valid, HMAC_KEY: 'abc' }, /HMAC_KEY must be 32 random bytes/],
    ['AUDIT_KEY missing', { ...valid, AUDIT_KEY: undefined }, /AUDIT_KEY/],
    ['AUDIT_KEY', { ...valid, AUDIT_KEY: 'abc' }, /AUDIT_KEY must be 32 random bytes/],
    ['ENCRYPTION_KEY', { ...valid, ENCRYPTION_KEY: undefined }, /ENCRYPTION_KEY/],
    ['MEILISEARCH_URL', { ...valid, MEILISEARCH_URL: 'not a url' }, /MEILISEARCH_URL must be a URL/],
    ['APP_URL', { ...valid, NODE_ENV: 'production', APP_URL: 'http://regain.example' }, /APP_URL must use https/],
    ['NODE_ENV', { ...valid, NODE_ENV: 'staging' }, /NODE_ENV/],
    ['SMTP_URL', { ...valid, EMAIL_TRANSPORT: 'smtp' }, /SMTP_URL is required when EMAIL_TRANSPORT is smtp/],
    ['TWILIO_AUTH_TOKEN', { ...valid, SMS_TRANSPORT: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_FROM: '+15005550006' }, /TWILIO_AUTH_TOKEN is required when SMS_TRANSPORT is twilio/],
    ['TWILIO_FROM', { ...valid, SMS_TRANSPORT: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '555-1234' }, /TWILIO_FROM must be a phone number in E\.164/],
    ['EMAIL_TRANSPORT', { ...valid, NODE_ENV: 'production', APP_URL: 'https://help.example.com' }, /EMAIL_TRANSPORT must be smtp in production/],
    ['SMS_TRANSPORT', { ...valid, NODE_ENV: 'production', APP_URL: 'https://help.example.com' }, /SMS_TRANSPORT must be twilio in production/],
    ['ENABLE_TEST_CLOCK', { ...valid, ENABLE_TEST_CLOCK: 'true', APP_URL: 'https://help.example.com' }, /ENABLE_TEST_CLOCK is only allowed/],
  ])('names %s when it is wrong', (_name, env, message) => {
    const problems = problemsOf(env);
    expect(problems.join('\n')).toMatch(message);
  });

  it('RETENTION_*: days per table with defaults, each refused below the minimum that keeps its readers working', () => {
    expect(parseConfig(valid).retention).toEqual({
      rateLimitBuckets: 3,
      verificationChallenges: 30,
      outboundMessages: 30,
      deliveredWebhooks: 30,
      searchQueries: 90,
      articleViews: 90,
      signInEvents: 180,
      sessions: 30,
      deadJobs: 30,
    });
    expect(parseConfig({ ...valid, RETENTION_SIGN_IN_EVENT_DAYS: ' 365 ', RETENTION_MESSAGE_DAYS: '' }).retention).toMatchObject({ signInEvents: 365, outboundMessages: 30 });
    for (const [name, bad] of [
      ['RETENTION_RATE_LIMIT_DAYS', '1'],
      ['RETENTION_SEARCH_QUERY_DAYS', '30'],
      ['RETENTION_ARTICLE_VIEW_DAYS', '7'],
      ['RETENTION_SESSION_DAYS', '0'],
      ['RETENTION_WEBHOOK_DAYS', '3651'],
      ['RETENTION_DEAD_JOB_DAYS', '2.5'],
      ['RETENTION_CHALLENGE_DAYS', '-1'],
    ] as const) {
      expect(problemsOf({ ...valid, [name]: bad })).toEqual([expect.stringMatching(new RegExp(`^${name} must be a whole number of days`))]);
    }
  });

  it('lists every problem at once', () => {
    expect(problemsOf({})).toHaveLength(5);
  });

  it('allows the test clock on a localhost server only', () => {
    expect(parseConfig({ ...valid, ENABLE_TEST_CLOCK: 'true' }).testClock).toBe(true);
    expect(parseConfig(valid).testClock).toBe(false);
  });

  describe('host webhook', () => {
    const secret = 's'.repeat(32);

    it('is off unless HOST_WEBHOOK_URL is set (a secret alone does nothing)', () => {
      expect(parseConfig(valid).hostWebhook).toBeUndefined();
      expect(parseConfig({ ...valid, HOST_WEBHOOK_URL: '', HOST_WEBHOOK_SECRET: '' }).hostWebhook).toBeUndefined();
      expect(parseConfig({ ...valid, HOST_WEBHOOK_SECRET: secret }).hostWebhook).toBeUndefined();
    });

    it('carries the URL and the secret when both are set', () => {
      expect(parseConfig({ ...valid, HOST_WEBHOOK_URL: ' https://exchange.example/hooks/regain ', HOST_WEBHOOK_SECRET: secret }).hostWebhook).toEqual({
        url: 'https://exchange.example/hooks/regain',
        secret,
      });
    });

    it.each([
      ['no secret', { HOST_WEBHOOK_URL: 'https://exchange.example/hooks' }, /HOST_WEBHOOK_SECRET is required when HOST_WEBHOOK_URL is set/],
      ['a 31-character secret', { HOST_WEBHOOK_URL: 'https://exchange.example/hooks', HOST_WEBHOOK_SECRET: 's'.repeat(31) }, /HOST_WEBHOOK_SECRET .*at least 32 characters/],
      ['a URL that is not one', { HOST_WEBHOOK_URL: 'exchange.example/hooks', HOST_WEBHOOK_SECRET: secret }, /HOST_WEBHOOK_URL must be a URL/],
    ])('refuses %s', (_case, env, message) => {
      expect(problemsOf({ ...valid, ...env }).join('\n')).toMatch(message);
    });
  });

  describe('WebAuthn relying party', () => {
    it('defaults to the host and origin of APP_URL', () => {
      expect(parseConfig({ ...valid, APP_URL: 'https://help.example.com:8443/' }).webauthn).toEqual({
        rpId: 'help.example.com',
        rpName: 'Regain',
        origin: 'https://help.example.com:8443',
      });
    });

    it('accepts the app host or a parent domain as WEBAUTHN_RP_ID, and a custom name', () => {
      const app = { ...valid, APP_URL: 'https://help.example.com' };
      expect(parseConfig({ ...app, WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_RP_NAME: 'Example Support' }).webauthn).toEqual({
        rpId: 'example.com',
        rpName: 'Example Support',
        origin: 'https://help.example.com',
      });
      expect(parseConfig({ ...app, WEBAUTHN_RP_ID: 'help.example.com' }).webauthn.rpId).toBe('help.example.com');
    });

    it.each([
      ['another domain', 'evil.example'],
      ['a look-alike suffix', 'ample.com'],
      ['a child of the app host', 'www.help.example.com'],
      ['a scheme', 'https://example.com'],
      ['a port', 'example.com:443'],
    ])('refuses %s as WEBAUTHN_RP_ID', (_case, rpId) => {
      expect(problemsOf({ ...valid, APP_URL: 'https://help.example.com', WEBAUTHN_RP_ID: rpId }).join('\n')).toMatch(/WEBAUTHN_RP_ID/);
    });
  });

  describe('trusted proxy (docs/security.md rule 24)', () => {
    it('trusts no forwarded header unless a proxy is configured', () => {
      expect(parseConfig(valid).trustedProxy).toEqual({ mode: 'none' });
      expect(parseConfig({ ...valid, TRUSTED_PROXY_HOPS: '0', TRUSTED_PROXIES: '' }).trustedProxy).toEqual({ mode: 'none' });
    });

    it('reads a hop count or a list of ranges', () => {
      expect(parseConfig({ ...valid, TRUSTED_PROXY_HOPS: '2' }).trustedProxy).toEqual({ mode: 'hops', hops: 2 });
      const proxies = parseConfig({ ...valid, TRUSTED_PROXIES: ' 10.0.0.0/8, 192.0.2.7 ,fd00::/8' }).trustedProxy;
      expect(proxies.mode === 'cidrs' && proxies.ranges.map((r) => r.text)).toEqual(['10.0.0.0/8', '192.0.2.7/32', 'fd00::/8']);
    });

    it.each([
      [{ TRUSTED_PROXY_HOPS: '-1' }, /TRUSTED_PROXY_HOPS must be the number of proxies/],
      [{ TRUSTED_PROXY_HOPS: 'one' }, /TRUSTED_PROXY_HOPS must be the number of proxies/],
      [{ TRUSTED_PROXY_HOPS: '11' }, /TRUSTED_PROXY_HOPS must be the number of proxies/],
      [{ TRUSTED_PROXIES: '10.0.0.0/8, proxy.internal' }, /TRUSTED_PROXIES must be comma-separated .* not valid: proxy\.internal/],
      [{ TRUSTED_PROXIES: '10.0.0.0/40' }, /TRUSTED_PROXIES must be comma-separated/],
      [{ TRUSTED_PROXY_HOPS: '1', TRUSTED_PROXIES: '10.0.0.0/8' }, /TRUSTED_PROXIES cannot be combined with TRUSTED_PROXY_HOPS/],
    ])('refuses %j', (env, message) => {
      expect(problemsOf({ ...valid, ...env }).join('\n')).toMatch(message);
    });
  });

  it('selects Meilisearch only when its URL is set', () => {
    expect(parseConfig({ ...valid, MEILISEARCH_URL: '' }).search).toEqual({ engine: 'embedded' });
    expect(parseConfig({ ...valid, MEILISEARCH_URL: 'http://127.0.0.1:7700', MEILISEARCH_API_KEY: 'k' }).search).toEqual({
      engine: 'meilisearch',
      url: 'http://127.0.0.1:7700',
      apiKey: 'k',
    });
  });
});
