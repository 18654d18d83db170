// Every benchmark in turn: `npm run bench`. A fresh production build (timed), then each benchmark
// against `npm start` on a throwaway embedded PostgreSQL (each writes tests/bench/reports/<name>.*),
// after the machine has settled from the one before, then one combined report:
// tests/bench/reports/latest.md and latest.json.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { machine, type Row } from './support';

const REPORTS = path.resolve('tests/bench/reports');
const BENCHMARKS = [
  { name: 'search', script: 'bench:search', about: 'Help-center search: embedded engine and Meilisearch at every corpus size, and GET /api/search' },
  { name: 'spelling', script: 'bench:spelling', about: 'Search spelling correction: its cost against a plain query, embedded engine and Meilisearch, 2,000 articles' },
  { name: 'verify', script: 'bench:verify', about: 'One-time codes: POST /api/recovery/start and /verify' },
  { name: 'queue', script: 'bench:queue', about: 'Agent console queue with 100,000 tickets' },
  { name: 'throughput', script: 'bench:throughput', about: 'Help pages and search beside a static file: req/s, p50 / p95 and the ratio, 8 concurrent clients; first-load JS of help pages' },
  { name: 'pages', script: 'bench:pages', about: 'Every page: first-load JS / CSS (gzip from the build); HTML; server time p50 / p95' },
  { name: 'face', script: 'bench:face', about: 'Local face match, in process (no server): one check p50 / p95, memory added, fixture pairs' },
] as const;

type Report = { title: string; measuredAt: string; rows: Row[]; loadAverage?: unknown };
type Outcome = { name: string; about: string; seconds: number; loadBefore: number; ok: boolean; report: Report | null };

const startedAt = new Date();
const loadAtStart = loadavg()[0]!;
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

const buildStarted = performance.now();
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env });
const buildSeconds = (performance.now() - buildStarted) / 1000;
if (build.status !== 0) {
  console.error('The production build failed; no benchmark ran.');
  process.exit(1);
}

/**
 * Waits (at most SETTLE_MAX_MS) for the machine to calm down after the previous benchmark: servers
 * it stopped may still be flushing to disk, and that work would be counted against the next one.
 */
const SETTLE_LOAD = 1;
const SETTLE_MAX_MS = 120_000;
async function settle() {
  const deadline = Date.now() + SETTLE_MAX_MS;
  while (loadavg()[0]! > SETTLE_LOAD && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5_000));
  return loadavg()[0]!;
}

const outcomes: Outcome[] = [];
for (const bench of BENCHMARKS) {
  const loadBefore = await settle();
  const started = performance.now();
  const result = spawnSync('npm', ['run', bench.script], { stdio: 'inherit', env });
  const file = path.join(REPORTS, `${bench.name}.json`);
  const report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Report) : null;
  // A report left over from an earlier run is not this run's result.
  const fresh = report && report.measuredAt && new Date(report.measuredAt) >= startedAt ? report : null;
  outcomes.push({ name: bench.name, about: bench.about, seconds: (performance.now() - started) / 1000, loadBefore, ok: result.status === 0 && fresh !== null, report: fresh });
}

const rows = outcomes.flatMap((o) => o.report?.rows ?? []);
const withTarget = rows.filter((r) => r.met !== null);
const missed = rows.filter((r) => r.met === false);
const m = machine();
const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const loadAtEnd = loadavg()[0]!;
const table = (list: Row[]) => [
  '| measure | value | target | met |',
  '| --- | --- | --- | --- |',
  ...list.map((r) => `| ${r.measure} | ${r.value} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
];

const lines = [
  '# Regain benchmarks: latest run',
  '',
  `Measured ${startedAt.toISOString()} at commit ${commit} on ${m.cpus}, ${m.memory}, Node ${m.node}, ${m.platform}.`,
  `Load average (1 min): ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end; other work on the machine inflates every figure.`,
  'Every server is the server entry (`npm start`) on a throwaway embedded PostgreSQL, listening on 127.0.0.1; every load is bounded in count.',
  '',
  `**${withTarget.length} figures have a target: ${withTarget.length - missed.length} met, ${missed.length} missed.**` +
    (outcomes.some((o) => !o.ok) ? ` Not run or failed: ${outcomes.filter((o) => !o.ok).map((o) => o.name).join(', ')}.` : ''),
  '',
  ...(missed.length ? ['Missed:', '', ...table(missed), ''] : []),
  '## Build',
  '',
  ...table([{ measure: '`next build` (production; .next/cache of earlier builds reused)', value: `${buildSeconds.toFixed(1)} s`, target: '—', met: null }]),
  '',
  ...outcomes.flatMap((o) => [
    `## ${o.about}`,
    '',
    o.report
      ? `\`npm run bench:${o.name}\`, ${Math.round(o.seconds)} s, started at load average ${o.loadBefore.toFixed(2)}. Details: [${o.name}.md](${o.name}.md).`
      : `\`npm run bench:${o.name}\` **failed after ${Math.round(o.seconds)} s and wrote no report in this run.**`,
    '',
    ...(o.report ? table(o.report.rows) : []),
    ...(o.name === 'search' && o.report ? ['', '![p95 search latency against corpus size, one line per engine](search-latency.svg)'] : []),
    '',
  ]),
];
writeFileSync(path.join(REPORTS, 'latest.md'), lines.join('\n'));
writeFileSync(
  path.join(REPORTS, 'latest.json'),
  JSON.stringify(
    {
      measuredAt: startedAt.toISOString(),
      commit,
      machine: m,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      build: { seconds: buildSeconds },
      targets: { total: withTarget.length, met: withTarget.length - missed.length, missed: missed.length },
      benchmarks: outcomes.map((o) => ({ name: o.name, about: o.about, seconds: o.seconds, loadBefore: o.loadBefore, ok: o.ok, report: o.report ? `${o.name}.json` : null, rows: o.report?.rows ?? [] })),
    },
    null,
    2,
  ),
);
console.log(`\nCombined report: tests/bench/reports/latest.md and latest.json (${withTarget.length - missed.length} of ${withTarget.length} targets met).`);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
