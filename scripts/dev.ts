// Runs Regain locally on its embedded defaults: `npm run dev`.
//   --start      serve a production build instead of the dev server
//   --ephemeral  throwaway database and fresh secrets (the browser tests use this)
//   --loopback   listen on 127.0.0.1 only (now the default; kept for callers that pass it)
// Both modes run through the server entry (scripts/serve.ts), which stamps the socket address for
// lib/http/request.ts `clientIp` (docs/security.md rule 24). It listens on 127.0.0.1 unless HOST is set:
// the development outbox (/dev/outbox) shows every code sent and must not reach the local network.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { stopStaleListeners, whenProcessGone } from '@/lib/config/processes';
import { freshTestSecrets, loadDevelopmentSecrets, readRunnerSettings } from '@/lib/config/runtime';
import { prepareLocalDatabase } from '@/lib/db/local';

const args = new Set(process.argv.slice(2));
const ephemeral = args.has('--ephemeral');
const settings = readRunnerSettings();
const say = (line: string) => console.log(`[regain] ${line}`);

// A server of this checkout left behind by a run that was killed outright would hold the port.
for (const pid of stopStaleListeners([settings.port], process.cwd())) say(`Stopped a leftover server of an earlier run (pid ${pid}).`);

const secrets = ephemeral ? freshTestSecrets() : loadDevelopmentSecrets(settings.dataDir);
const database = await prepareLocalDatabase({ ...settings, port: settings.embeddedPgPort, ephemeral, log: say });
Object.assign(process.env, secrets, { DATABASE_URL: database.url });

// Imported after the environment is complete: config validation runs on first use.
const { getConfig } = await import('@/lib/config');
const { getPrisma } = await import('@/lib/db/client');
const { seedDemoData } = await import('@/prisma/seed');
const config = getConfig();
await seedDemoData(getPrisma(), { encryptionKey: config.encryptionKey });
await getPrisma().$disconnect();
say('Migrations applied and demo data in place.');

const host = args.has('--loopback') ? '127.0.0.1' : (settings.host ?? '127.0.0.1');
const entry = path.join(import.meta.dirname, 'serve.ts');
const child = spawn(process.execPath, ['--import', 'tsx', entry, ...(args.has('--start') ? [] : ['--dev'])], {
  stdio: 'inherit',
  env: { ...process.env, PORT: String(settings.port), HOST: host, NEXT_TELEMETRY_DISABLED: '1' },
});
say(`Regain is starting at http://localhost:${settings.port} (Ctrl-C stops it and the database).`);

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await database.stop();
  if (database.embedded) say('Embedded PostgreSQL stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
child.on('exit', (code) => void shutdown(code ?? 1));
// Started by a test runner (playwright.config.ts): stop with it, even if it was killed outright.
if (process.env.REGAIN_RUNNER_PID) whenProcessGone(Number(process.env.REGAIN_RUNNER_PID), () => void shutdown(1));
