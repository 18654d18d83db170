// Every benchmark in turn: `npm run bench`. Each writes its report to tests/bench/reports/.
import { spawnSync } from 'node:child_process';

let failed = false;
for (const script of ['bench:search', 'bench:verify', 'bench:queue']) {
  const result = spawnSync('npm', ['run', script], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
