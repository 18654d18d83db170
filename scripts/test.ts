// The whole test suite: `npm test`. Type check, unit + integration (vitest, real PostgreSQL and
// Meilisearch), production build, browser journeys (Playwright). Prints how long each phase took,
// exits non-zero on any failure and ends with one line:
//   tests: N passed, N failed[, N not run (reason)][, N skipped]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { isAlive, processGroupLeader, whenProcessGone } from '@/lib/config/processes';

const RESULTS = '.data/test-results';
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });

// REGAIN_RUNNER_PID lets the browser-test servers stop by themselves if this runner is killed
// outright (SIGKILL), so nothing of a killed run holds a port (playwright.config.ts).
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', REGAIN_RUNNER_PID: String(process.pid) };
const failures: string[] = [];
const phases: { name: string; seconds: number }[] = [];

// Each phase runs in a process group of its own (npx would not pass a signal on to vitest), and
// the runner hands Ctrl-C, SIGTERM and SIGHUP to the whole group, once, so the phase shuts down in
// its own order: Playwright stops its servers on SIGINT, a second one would make it kill them.
let current: ChildProcess | undefined;
let stoppedBy: string | undefined;
const stopPhase = (signal: NodeJS.Signals) => {
  if (current?.pid === undefined || current.exitCode !== null || current.signalCode !== null) return;
  try {
    process.kill(-current.pid, signal);
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stoppedBy) return;
    stoppedBy = signal;
    stopPhase(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  });
}
// `npm test` killed outright (SIGKILL) would leave this runner and its phase running on their own,
// racing the next run for its ports: stop as if told to. Not on CI, where the harness that starts
// the run may hand it on and exit, and ends whatever is left when the run is over.
const leader = process.env.CI ? undefined : processGroupLeader();
if (leader !== undefined && isAlive(leader)) {
  whenProcessGone(leader, () => {
    stoppedBy = `the end of process ${leader}, which started this run`;
    stopPhase('SIGINT');
  });
}

async function step(name: string, command: string, args: string[], extraEnv: Record<string, string> = {}) {
  if (stoppedBy) return false;
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const child = spawn(command, args, { stdio: 'inherit', env: { ...env, ...extraEnv }, detached: true });
  current = child;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  current = undefined;
  const seconds = (Date.now() - started) / 1000;
  phases.push({ name, seconds });
  console.log(`◀ ${name}: ${code === 0 ? 'done' : `failed (exit ${code ?? signal})`} in ${duration(seconds)}`);
  if (code !== 0) failures.push(`${name} (exit ${code ?? signal})`);
  return code === 0;
}

function duration(seconds: number) {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

const started = Date.now();
const typesChecked = await step('type check', 'npx', ['tsc', '--noEmit']);
await step('unit and integration tests', 'npx', [
  'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${RESULTS}/vitest.json`,
]);
// The build would check the same types again (next.config.mjs): a minute on two busy cores.
if (await step('production build', 'npm', ['run', 'build'], typesChecked ? { REGAIN_TYPES_CHECKED: '1' } : {})) {
  await step('browser tests', 'npx', ['playwright', 'test']);
} else {
  failures.push('browser tests (not run: the build failed)');
}
if (stoppedBy) failures.push(`stopped by ${stoppedBy}`);

type Counts = { passed: number; failed: number; skipped: number; notRun: Map<string, number> };
const counts: Counts = { passed: 0, failed: 0, skipped: 0, notRun: new Map() };

type VitestAssertion = { status: string; meta?: { notRun?: string } };
if (existsSync(`${RESULTS}/vitest.json`)) {
  const report = JSON.parse(readFileSync(`${RESULTS}/vitest.json`, 'utf8')) as { testResults: { assertionResults: VitestAssertion[] }[] };
  for (const test of report.testResults.flatMap((file) => file.assertionResults)) {
    if (test.status === 'passed') counts.passed++;
    else if (test.status === 'failed') counts.failed++;
    // A test that could not run says why (tests/support/meilisearch.ts); any other skip is silent.
    else if (test.meta?.notRun) counts.notRun.set(test.meta.notRun, (counts.notRun.get(test.meta.notRun) ?? 0) + 1);
    else counts.skipped++;
  }
}
if (existsSync(`${RESULTS}/e2e.json`)) {
  const { stats } = JSON.parse(readFileSync(`${RESULTS}/e2e.json`, 'utf8'));
  counts.passed += stats.expected + stats.flaky;
  counts.failed += stats.unexpected;
  counts.skipped += stats.skipped;
}

// Exit codes alone are not trusted: a runner that lost its code still reports its failures here.
if (counts.failed > 0 && failures.length === 0) failures.push(`${counts.failed} failed test(s)`);
if (counts.passed === 0) failures.push('no test ran');
// A skip with no reason hides a test that no longer runs.
if (counts.skipped > 0) failures.push(`${counts.skipped} test(s) skipped without a reason`);
const notRun = [...counts.notRun].map(([reason, n]) => `${n} not run (${reason})`);
if (notRun.length) {
  console.error(`\n${'!'.repeat(100)}\n${notRun.map((line) => `!! ${line}`).join('\n')}\n${'!'.repeat(100)}`);
  // On CI every service can be had; a test that did not run there is a failure.
  if (process.env.CI === 'true') failures.push('tests not run on CI');
}
if (failures.length) console.error(`\nFailed steps:\n${failures.map((f) => `  - ${f}`).join('\n')}`);

console.log(`\nphases: ${phases.map((p) => `${p.name} ${duration(p.seconds)}`).join(', ')}; total ${duration((Date.now() - started) / 1000)}`);
console.log(`tests: ${[`${counts.passed} passed`, `${counts.failed} failed`, ...notRun, ...(counts.skipped ? [`${counts.skipped} skipped`] : [])].join(', ')}`);
process.exit(failures.length ? 1 : 0);
