// The whole test suite: `npm test`. Type check, unit + integration (vitest, real PostgreSQL),
// production build, browser journeys (Playwright). Exits non-zero on any failure and ends with
// one line "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const RESULTS = '.data/test-results';
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const failures: string[] = [];

function step(name: string, command: string, args: string[]) {
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) failures.push(`${name} (exit ${result.status ?? result.signal})`);
  return result.status === 0;
}

step('type check', 'npx', ['tsc', '--noEmit']);
step('unit and integration tests', 'npx', [
  'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${RESULTS}/vitest.json`,
]);
if (step('production build', 'npm', ['run', 'build'])) {
  step('browser tests', 'npx', ['playwright', 'test']);
} else {
  failures.push('browser tests (not run: the build failed)');
}

type Counts = { passed: number; failed: number; skipped: number };
const counts: Counts = { passed: 0, failed: 0, skipped: 0 };

if (existsSync(`${RESULTS}/vitest.json`)) {
  const report = JSON.parse(readFileSync(`${RESULTS}/vitest.json`, 'utf8'));
  counts.passed += report.numPassedTests;
  counts.failed += report.numFailedTests;
  counts.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
}
if (existsSync(`${RESULTS}/e2e.json`)) {
  const { stats } = JSON.parse(readFileSync(`${RESULTS}/e2e.json`, 'utf8'));
  counts.passed += stats.expected + stats.flaky;
  counts.failed += stats.unexpected;
  counts.skipped += stats.skipped;
}

// Exit codes alone are not trusted: a runner that lost its code still reports its failures here.
if (counts.failed > 0 && failures.length === 0) failures.push(`${counts.failed} failed test(s)`);
if (failures.length) console.error(`\nFailed steps:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
if (counts.passed === 0) failures.push('no test ran');
console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
process.exit(failures.length ? 1 : 0);
