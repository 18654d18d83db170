// Page weight benchmark: `npm run bench:pages`. From the production build's manifests, the first-load
// JavaScript and CSS of every page (the root chunks plus the route's own entry chunks, gzipped as
// `npm start` serves them); then on `npm start` (loopback only, bounded in count) the HTML each page
// returns to the person it is for (signed out, a signed-in account holder, a signed-in supervisor or
// admin) and its server time. Writes tests/bench/reports/pages.*.
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { totp } from '@/lib/authenticator/totp';
import { createPrisma } from '@/lib/db/client';
import { loadArticles } from '@/lib/help/articles';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, demoAccounts } from '@/prisma/seed';
import { firstLoad, pageEntries as buildPageEntries } from './first-load';
import { type Row, signInOverHttp, startBenchServer, summarize, writeReport } from './support';

const REQUESTS = 40; // per page, one at a time, after 3 warm-up requests
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

type Visitor = 'signed out' | 'account holder' | 'supervisor' | 'admin';
/** Every page route of the build, the address measured for it and who asks. */
type Page = { route: string; url: string; visitor: Visitor; note?: string };

const pageEntries = buildPageEntries();

// ── HTML and server time on npm start ──────────────────────────────────────────────────
const server = await startBenchServer();
const db = createPrisma(server.databaseUrl);
try {
  const slug = loadArticles(path.resolve('content')).articles[0]!.slug;
  const ticket = await db.recoveryTicket.create({
    data: {
      reference: 'BENCH-PAGE-1',
      type: 'PASSKEY_RESET',
      status: 'SUBMITTED',
      contactEmail: demoAccounts.ben.email,
      lostFactors: ['passkey'],
      riskLevel: 'LOW',
      slaDueAt: new Date(Date.now() + 86_400_000),
    },
  });
  const now = new Date();
  const cookies: Record<Visitor, string> = {
    'signed out': '',
    'account holder': await signInOverHttp(server.baseUrl, 'password', { email: demoAccounts.ada.email, password: DEMO_PASSWORD, code: totp(DEMO_TOTP_SECRET, { time: now }) }),
    supervisor: await signInOverHttp(server.baseUrl, 'agent-password', { email: demoAccounts.supervisor.email, password: DEMO_PASSWORD, code: totp(DEMO_TOTP_SECRET, { time: now }) }),
    admin: await signInOverHttp(server.baseUrl, 'agent-password', { email: demoAccounts.admin.email, password: DEMO_PASSWORD, code: totp(DEMO_TOTP_SECRET, { time: now }) }),
  };

  const flowOnly = 'without a recovery in progress it redirects to /recover';
  const pages: Page[] = pageEntries.map(([, route]) => {
    if (route.startsWith('/account/')) return { route, url: route, visitor: 'account holder' };
    if (route === '/console/admin') return { route, url: route, visitor: 'admin' };
    if (route.startsWith('/console') && route !== '/console/signin') return { route, url: route.replace('[id]', ticket.id), visitor: 'supervisor' };
    if (route === '/articles/[slug]') return { route, url: `/articles/${slug}`, visitor: 'signed out' };
    if (route === '/search') return { route, url: '/search?q=passkey', visitor: 'signed out' };
    if (route === '/_not-found') return { route, url: '/no-such-page', visitor: 'signed out' };
    if (route === '/recover/[...step]') return { route, url: '/recover/unknown-step', visitor: 'signed out' };
    if (['/recover/verify', '/recover/verified', '/recover/reset'].includes(route)) return { route, url: route, visitor: 'signed out', note: flowOnly };
    return { route, url: route, visitor: 'signed out' };
  });

  const rows: Row[] = [];
  const measured: Record<string, unknown>[] = [];
  for (const [entry, route] of pageEntries) {
    const page = pages.find((p) => p.route === route)!;
    const weight = firstLoad(entry);
    const get = async () => {
      const started = performance.now();
      const response = await fetch(`${server.baseUrl}${page.url}`, { redirect: 'manual', headers: { Cookie: cookies[page.visitor], 'Accept-Encoding': 'gzip' } });
      const body = Buffer.from(await response.arrayBuffer());
      return { ms: performance.now() - started, status: response.status, bytes: body.length, location: response.headers.get('location') };
    };
    for (let i = 0; i < 3; i++) await get();
    const samples: Awaited<ReturnType<typeof get>>[] = [];
    for (let i = 0; i < REQUESTS; i++) samples.push(await get());
    const time = summarize(samples.map((s) => s.ms));
    const last = samples.at(-1)!;
    // fetch decodes gzip: the HTML size is the decoded body, and its gzip size is computed here.
    const html = await fetch(`${server.baseUrl}${page.url}`, { redirect: 'manual', headers: { Cookie: cookies[page.visitor] } }).then((r) => r.text());
    const htmlGzip = gzipSync(html).length;
    const answer = last.status >= 300 && last.status < 400 ? `redirect to ${last.location?.replace(server.baseUrl, '')}` : `HTML ${kib(Buffer.byteLength(html))} (${kib(htmlGzip)} gzip)`;
    const isQueue = route === '/console';
    rows.push({
      measure: `${page.url.replace(ticket.id, '{id}')} (${page.visitor})`,
      value: `${kib(weight.js)} / ${kib(weight.css)}; ${answer}; ${ms(time.p50)} / ${ms(time.p95)}`,
      target: isQueue ? 'p95 < 100 ms' : '—',
      met: isQueue ? time.p95 < 100 : null,
    });
    measured.push({ route, url: page.url.replace(ticket.id, '{id}'), visitor: page.visitor, note: page.note, status: last.status, firstLoadJsGzipBytes: weight.js, firstLoadCssGzipBytes: weight.css, jsChunks: weight.chunks, htmlBytes: Buffer.byteLength(html), htmlGzipBytes: htmlGzip, p50Ms: time.p50, p95Ms: time.p95 });
  }
  writeReport('pages', `Every page: first-load JS / CSS (gzip); HTML; server time p50 / p95 (${REQUESTS} requests each)`, rows, { requests: REQUESTS, pages: measured });
  const redirected = pages.filter((p) => p.note);
  if (redirected.length) console.log(`\n${redirected.map((p) => p.route).join(', ')}: ${flowOnly}, so only their JavaScript is measured.`);
} finally {
  await db.$disconnect();
  await server.stop();
}
