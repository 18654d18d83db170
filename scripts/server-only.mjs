// Lets plain Node processes (tsx scripts, their child processes, the Playwright runner) load lib/
// modules guarded with `import 'server-only'`. That package throws unless resolved with the
// `react-server` condition, which only Next.js's server bundles use; everywhere else outside a
// browser bundle the guard has nothing to guard, so `server-only` resolves to its empty module.
// Use: `tsx --import ./scripts/server-only.mjs scripts/x.ts`. Child processes inherit it through
// NODE_OPTIONS. Next.js builds do not need it (they resolve the package themselves), and the
// browser bundles still fail on a guarded import, which is the point of the guard.
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
if (!globalThis.__regainServerOnlyHook) {
  globalThis.__regainServerOnlyHook = true;
  register(new URL('./server-only-hooks.mjs', import.meta.url));
  const flag = `--import=${pathToFileURL(self).href}`;
  if (!(process.env.NODE_OPTIONS ?? '').includes(flag)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${flag}`.trim();
}
