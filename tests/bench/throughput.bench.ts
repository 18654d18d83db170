// Throughput benchmark: `npm run bench:throughput`. On the server entry (`npm start`, loopback only),
// 8 concurrent keep-alive clients ask one address at a time for a fixed time, the static file
// /icon.svg first, so every help page and search is measured beside a static file in the same run on
// the same machine. Each target runs in ROUNDS short slices, interleaved with the others, so a burst of
// other work on the machine weighs on all targets alike. Prints requests per second, p50 / p95 latency
// and the ratio to the static file, then the first-load JavaScript of the help pages. It prints
// targets and never fails on them: timings belong in a report, not in the test suite.
// Writes tests/bench/reports/throughput.*.
import http from 'node:http';
import path from 'node:path';
import { loadArticles } from '@/lib/help/articles';
import { firstLoad, pageEntries } from './first-load';
import { type Row, startBenchServer, summarize, writeReport } from './support';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6); // per target and round
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARM_UP_SECONDS = 1;
const FIRST_LOAD_TARGET_KIB = 110;
// What a browser sends; BENCH_ACCEPT_ENCODING=identity measures the server without compressing.
const ACCEPT_ENCODING = process.env.BENCH_ACCEPT_ENCODING ?? 'gzip';
// A desktop browser: bots are not counted as readers (lib/help/engagement.ts), people are.
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

type Target = { name: string; path: string | (() => string); method?: 'GET' | 'POST'; body?: string; ratioTarget?: number; optional?: boolean };

const articles = loadArticles(path.resolve('content')).articles;
const slug = articles[0]!.slug;
// Words of the articles, each searched once in turn: more of them than the search API keeps answers
// for (lib/help/search-articles.ts searchAnswerCache), so every one of these requests runs the engine.
const words = [...new Set(articles.flatMap((a) => a.text.toLowerCase().match(/\p{L}{5,}/gu) ?? []))].sort();
let nextWord = 0;
const targets: Target[] = [
  { name: 'static file', path: '/icon.svg' },
  { name: 'home', path: '/', ratioTarget: 0.5 },
  { name: 'article', path: `/articles/${slug}`, ratioTarget: 0.5 },
  { name: 'search results page', path: '/search?q=passkey' },
  { name: 'search API', path: '/api/search?q=passkey', ratioTarget: 0.25 },
  { name: 'search API, misspelled query', path: '/api/search?q=pasky', ratioTarget: 0.25 },
  { name: `search API, a new word each request (${words.length} words)`, path: () => `/api/search?q=${encodeURIComponent(words[nextWord++ % words.length]!)}` },
  // The same engine without the database (no view counts, no query log): what the search API could be at best.
  { name: 'type-ahead API', path: '/api/search/suggest?q=pass' },
  // What a browser sends once per article it shows, when that endpoint exists (it counts the view).
  { name: 'article view beacon', path: `/api/help/articles/${slug}/visit`, method: 'POST', body: '', optional: true },
];

type Slice = { requests: number; errors: number; statuses: Map<number, number>; seconds: number; latencies: number[] };

/** CONNECTIONS clients, each with its own keep-alive socket, one request after another until the time is up. */
async function load(baseUrl: string, target: Target, seconds: number): Promise<Slice> {
  const address = () => new URL(typeof target.path === 'string' ? target.path : target.path(), baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const url = address();
      const started = performance.now();
      const request = http.request(
        url,
        {
          agent,
          method: target.method ?? 'GET',
          headers: {
            'User-Agent': BROWSER,
            Accept: url.pathname.startsWith('/api/') ? 'application/json' : 'text/html',
            'Accept-Encoding': ACCEPT_ENCODING,
            ...(target.method === 'POST' ? { Origin: baseUrl, 'Content-Type': 'application/json', 'Content-Length': '0' } : {}),
          },
        },
        (response) => {
          response.on('data', () => {});
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status >= 400) errors++;
            latencies.push(performance.now() - started);
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(target.body);
    });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: latencies.length, errors, statuses, seconds: elapsed, latencies };
}

const server = await startBenchServer();
try {
  const present: Target[] = [];
  for (const target of targets) {
    const probe = await fetch(new URL(typeof target.path === 'string' ? target.path : target.path(), server.baseUrl), { method: target.method ?? 'GET', headers: { 'User-Agent': BROWSER, Origin: server.baseUrl } });
    await probe.arrayBuffer();
    if (target.optional && probe.status === 404) continue;
    if (probe.status >= 400) throw new Error(`${target.path} answered ${probe.status}; nothing to measure.`);
    present.push(target);
    await load(server.baseUrl, target, WARM_UP_SECONDS);
  }

  const totals = new Map<string, Slice>(present.map((t) => [t.name, { requests: 0, errors: 0, statuses: new Map(), seconds: 0, latencies: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of present) {
      const slice = await load(server.baseUrl, target, SECONDS);
      const total = totals.get(target.name)!;
      total.requests += slice.requests;
      total.errors += slice.errors;
      total.seconds += slice.seconds;
      total.latencies.push(...slice.latencies);
      for (const [status, n] of slice.statuses) total.statuses.set(status, (total.statuses.get(status) ?? 0) + n);
    }
  }

  const rate = (slice: Slice) => slice.requests / slice.seconds;
  const staticRate = rate(totals.get('static file')!);
  const rows: Row[] = [];
  const measured: Record<string, unknown>[] = [];
  for (const target of present) {
    const slice = totals.get(target.name)!;
    const time = summarize(slice.latencies);
    const ratio = rate(slice) / staticRate;
    const statuses = [...slice.statuses].map(([s, n]) => `${n}× ${s}`).join(', ');
    rows.push({
      measure: `${target.method ?? 'GET'} ${typeof target.path === 'string' ? target.path : '/api/search?q=<word>'} (${target.name})`,
      value: `${rate(slice).toFixed(0)} req/s; p50 ${time.p50.toFixed(1)} ms, p95 ${time.p95.toFixed(1)} ms; ${target.name === 'static file' ? 'the reference' : `${(ratio * 100).toFixed(0)} % of the static file`}${slice.errors ? `; ${slice.errors} errors (${statuses})` : ''}`,
      target: target.ratioTarget ? `≥ ${target.ratioTarget * 100} % of the static file` : '—',
      met: target.ratioTarget ? ratio >= target.ratioTarget && slice.errors === 0 : null,
    });
    measured.push({ name: target.name, method: target.method ?? 'GET', path: typeof target.path === 'string' ? target.path : '/api/search?q=<word>', requests: slice.requests, seconds: slice.seconds, requestsPerSecond: rate(slice), ratioToStatic: ratio, p50Ms: time.p50, p95Ms: time.p95, errors: slice.errors, statuses: Object.fromEntries(slice.statuses) });
  }

  // The help pages' first-load JavaScript, from the build (the same measure as bench:pages).
  const helpRoutes = new Set(['/', '/categories/[category]', '/articles/[slug]', '/search']);
  for (const [entry, route] of pageEntries().filter(([, route]) => helpRoutes.has(route))) {
    const weight = firstLoad(entry);
    rows.push({
      measure: `first-load JS of ${route} (gzip)`,
      value: `${(weight.js / 1024).toFixed(1)} KiB in ${weight.chunks} chunks`,
      target: `≤ ${FIRST_LOAD_TARGET_KIB} KiB`,
      met: weight.js / 1024 <= FIRST_LOAD_TARGET_KIB,
    });
    measured.push({ route, firstLoadJsGzipBytes: weight.js, jsChunks: weight.chunks });
  }

  writeReport(
    'throughput',
    `Throughput beside a static file: ${CONNECTIONS} concurrent keep-alive clients, ${ROUNDS} × ${SECONDS} s per target, interleaved, Accept-Encoding: ${ACCEPT_ENCODING}`,
    rows,
    { connections: CONNECTIONS, secondsPerRound: SECONDS, rounds: ROUNDS, acceptEncoding: ACCEPT_ENCODING, targets: measured },
  );
} finally {
  await server.stop();
}
