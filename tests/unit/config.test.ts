import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@/lib/config';

const key = Buffer.alloc(32, 7).toString('base64');
const valid = {
  DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/regain',
  AUTH_SECRET: 'x'.repeat(43),
  HMAC_KEY: key,
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

  it.each([
    ['DATABASE_URL', { ...valid, DATABASE_URL: undefined }, /DATABASE_URL is required/],
    ['DATABASE_URL', { ...valid, DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres/],
    ['AUTH_SECRET', { ...valid, AUTH_SECRET: 'short' }, /AUTH_SECRET must be at least 32/],
    ['HMAC_KEY', { ...valid, HMAC_KEY: 'abc' }, /HMAC_KEY must be 32 random bytes/],
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

  it('lists every problem at once', () => {
    expect(problemsOf({})).toHaveLength(4);
  });

  it('allows the test clock on a localhost server only', () => {
    expect(parseConfig({ ...valid, ENABLE_TEST_CLOCK: 'true' }).testClock).toBe(true);
    expect(parseConfig(valid).testClock).toBe(false);
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
