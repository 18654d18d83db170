import { describe, expect, it } from 'vitest';

// docs/security.md rule 16: HSTS in production, and only where it means something: an https APP_URL.
// The environment is set before next.config.mjs is loaded, as `next start` would.
process.env.APP_URL = 'http://help.internal.test';
Object.assign(process.env, { NODE_ENV: 'production' });
// @ts-expect-error next.config.mjs is plain JavaScript (checked with // @ts-check), without a .d.ts.
const { default: nextConfig } = (await import('../../next.config.mjs')) as { default: import('next').NextConfig };

async function hstsFor(appUrl: string) {
  process.env.APP_URL = appUrl;
  const [rule] = await nextConfig.headers!();
  return rule!.headers.find((h: { key: string }) => h.key === 'Strict-Transport-Security');
}

describe('Strict-Transport-Security', () => {
  it('is not sent when the app is served over plain http, even in production', async () => {
    expect(await hstsFor('http://help.internal.test')).toBeUndefined();
  });

  it('is sent in production over https', async () => {
    expect(await hstsFor('https://help.example.com')).toMatchObject({ value: expect.stringMatching(/max-age=\d{8}/) });
  });
});
