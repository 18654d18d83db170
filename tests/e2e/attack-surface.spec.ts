import { expect, test, type APIRequestContext } from '@playwright/test';
import fc from 'fast-check';
import { E2E } from './support';

// The public surface, probed over HTTP against the production build (docs/security.md rules 13 and 16).
// Each request carries its own documentation-range X-Forwarded-For, so the per-IP limits these
// probes trip never reach the other journeys.
let ipCounter = 0;
const probeIp = () => `203.0.113.${(ipCounter++ % 250) + 1}`;

// Every route of the build (signed out: protected ones answer with their redirect), and the APIs.
const PAGES = [
  '/',
  '/categories/faq',
  '/search?q=passkey',
  '/articles/reset-authenticator-app',
  '/tools',
  '/signin',
  '/recover',
  '/recover/verify',
  '/recover/verified',
  '/recover/reset',
  '/recover/documents',
  '/recover/status',
  '/recover/video',
  '/recover/complete',
  '/recover/unknown-step',
  '/account/security',
  '/account/approvals',
  '/console/signin',
  '/console',
  '/console/tickets/00000000-0000-4000-8000-000000000000',
  '/console/tickets/00000000-0000-4000-8000-000000000000/documents/00000000-0000-4000-8000-000000000000',
  '/console/audit',
  '/console/analytics',
  '/console/admin',
  '/no-such-page',
  '/api/health',
  '/api/search?q=passkey',
  '/api/search/suggest?q=pass',
  '/api/auth/session',
  '/api/v1/accounts/00000000-0000-4000-8000-000000000000/security',
];

// Public help pages prerendered at build time (README, "How help pages are served").
const PRERENDERED = /^\/(categories\/[a-z-]+|articles\/[a-z0-9-]+|search(\?.*)?|tools)?$/;

test.describe('security headers on every route (rule 16)', () => {
  for (const path of PAGES) {
    test(`${path}`, async ({ request }) => {
      const response = await request.get(path, { maxRedirects: 0, headers: { 'X-Forwarded-For': probeIp(), 'X-Request-Id': 'planted-by-client' } });
      expect(response.status()).toBeLessThan(500);
      const headers = response.headers();
      // Every response names its request for the logs (scripts/serve.ts): a fresh id, never the client's.
      expect(headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-frame-options']).toBe('DENY');
      // The browser-test server runs on http://localhost: HSTS goes out only over https (tests/unit/hsts.test.ts).
      expect(headers['strict-transport-security']).toBeUndefined();
      const csp = headers['content-security-policy'] ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      if (/\/documents\//.test(path)) {
        // A document file is pixels in a sandbox: its own policy, no scripts at all (rule 29).
        expect(csp).toContain('sandbox');
        expect(csp).toContain("default-src 'none'");
        expect(csp).not.toContain('script-src');
      } else if (/^\/api\/(?!auth\/)/.test(path)) {
        // JSON is data: nothing in it runs or loads.
        expect(csp).toContain("default-src 'none'");
        expect(csp).not.toContain('script-src');
      } else if (PRERENDERED.test(path)) {
        // The same file for everyone: its scripts by their hashes, no nonce (lib/http/security-headers.ts).
        expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
        expect(csp).not.toContain('nonce-');
      } else {
        expect(csp).toMatch(/script-src[^;]*'nonce-[A-Za-z0-9+/=]+'/);
        expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      }
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      if (/^\/(account|console|recover|signin)/.test(path)) expect(headers['cache-control']).toContain('no-store');
    });
  }
});

test.describe('state changes refuse a foreign Origin (rule 16)', () => {
  const posts: [string, unknown][] = [
    ['/api/recovery/start', { identifier: 'someone@example.com' }],
    ['/api/recovery/verify', { challengeId: '00000000-0000-4000-8000-000000000000', code: '123456' }],
    ['/api/account/step-up', { code: '123456' }],
  ];
  for (const [path, body] of posts) {
    test(`${path}`, async ({ request }) => {
      const foreign = await request.post(path, { data: body, headers: { Origin: 'https://evil.example', 'X-Forwarded-For': probeIp() } });
      expect(foreign.status()).toBe(403);
      expect(JSON.stringify(await foreign.json())).not.toContain('evil.example');
    });
  }
});

/** No 500s, no reflected markup, always a JSON error shape: for any string a client can send. */
async function expectCalm(response: Awaited<ReturnType<APIRequestContext['get']>>, sent: string) {
  expect(response.status(), `for input ${JSON.stringify(sent)}`).toBeLessThan(500);
  const text = await response.text();
  if (sent.includes('<')) expect(text).not.toContain(sent);
  if (response.headers()['content-type']?.includes('json')) expect(() => JSON.parse(text)).not.toThrow();
}

const hostile = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR 1=1 --", '%00', '../../etc/passwd', '{{7*7}}', '\u202e\u0000', 'a'.repeat(5000)),
);

test.describe('hostile input never breaks the public API (fuzzing)', () => {
  test.slow();

  test('search and suggestions', async ({ request }) => {
    await fc.assert(
      fc.asyncProperty(hostile, async (q) => {
        const headers = { 'X-Forwarded-For': probeIp() };
        await expectCalm(await request.get(`/api/search?q=${encodeURIComponent(q)}&page=${encodeURIComponent(q)}`, { headers }), q);
        await expectCalm(await request.get(`/api/search/suggest?q=${encodeURIComponent(q)}`, { headers }), q);
      }),
      { numRuns: 40 },
    );
  });

  test('recovery start and verify', async ({ request }) => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.jsonValue({ maxDepth: 2 }), async (text, json) => {
        const headers = { 'X-Forwarded-For': probeIp(), Origin: E2E.baseUrl };
        await expectCalm(await request.post('/api/recovery/start', { data: { identifier: text }, headers }), text);
        await expectCalm(await request.post('/api/recovery/start', { data: json as object, headers }), JSON.stringify(json));
        await expectCalm(await request.post('/api/recovery/verify', { data: { challengeId: text, code: text }, headers }), text);
      }),
      { numRuns: 30 },
    );
  });

  test('host API ids and keys', async ({ request }) => {
    const baseline = await (await request.get('/api/v1/accounts/00000000-0000-4000-8000-000000000000/security', { headers: { Authorization: 'Bearer nope' } })).text();
    await fc.assert(
      fc.asyncProperty(hostile, async (text) => {
        const id = encodeURIComponent(text.replace(/^\.+$/, 'dots')) || 'x';
        const response = await request.get(`/api/v1/accounts/${id}/security`, { headers: { Authorization: `Bearer ${text.replace(/[^\x21-\x7e]/g, '')}`, 'X-Forwarded-For': probeIp() } });
        // A wrong or missing key gets one answer, 401 with no detail, whatever the id looks like.
        expect(response.status(), `for ${JSON.stringify(text)}`).toBe(401);
        expect(await response.text()).toBe(baseline);
      }),
      { numRuns: 40 },
    );
  });
});
