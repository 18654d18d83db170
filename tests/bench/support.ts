import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/ports';

export function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function summarize(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

export function machine() {
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same corpus. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Row = { measure: string; value: string; target: string; met: boolean | null };

export function writeReport(name: string, title: string, rows: Row[], extra: Record<string, unknown>) {
  const dir = path.resolve('tests/bench/reports');
  mkdirSync(dir, { recursive: true });
  const m = machine();
  const measuredAt = new Date().toISOString();
  const lines = [
    `# ${title}`,
    '',
    `Measured ${measuredAt} on ${m.cpus}, ${m.memory}, Node ${m.node}, ${m.platform}.`,
    '',
    '| measure | value | target | met |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
    '',
  ];
  writeFileSync(path.join(dir, `${name}.md`), lines.join('\n'));
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ title, measuredAt, machine: m, loadAverage: os.loadavg()[0], rows, ...extra }, null, 2));
  console.log(`\n${lines.join('\n')}\nReport written to tests/bench/reports/${name}.md and .json`);
}

/**
 * The server entry (scripts/serve.ts, as `npm start`) on a throwaway embedded PostgreSQL
 * (scripts/dev.ts --start --ephemeral), built first
 * if needed, listening on loopback only. Production refuses outbox delivery, so unless `env` says
 * otherwise both transports point at a closed loopback port (nothing is sent).
 */
export async function startBenchServer(env: Record<string, string> = {}) {
  if (!existsSync('.next/BUILD_ID')) spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  const port = await freePort();
  const pgPort = await freePort();
  const closedPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--start', '--ephemeral', '--loopback'], {
    env: {
      ...process.env,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      NODE_ENV: 'production',
      APP_URL: baseUrl,
      MEILISEARCH_URL: '',
      EMAIL_TRANSPORT: 'smtp',
      SMTP_URL: `smtp://127.0.0.1:${closedPort}`,
      SMS_TRANSPORT: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
      TWILIO_AUTH_TOKEN: 'bench-auth-token',
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE_URL: `http://127.0.0.1:${closedPort}`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (server.exitCode !== null) return;
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
  const deadline = Date.now() + 180_000;
  while (!(await fetch(`${baseUrl}/api/health`).then((r) => r.ok).catch(() => false))) {
    if (Date.now() > deadline || server.exitCode !== null) {
      await stop();
      throw new Error('The benchmark server did not become healthy.');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { baseUrl, databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${pgPort}/regain`, stop };
}

/**
 * A session cookie through Auth.js's own credentials endpoint (`provider` is an id from
 * lib/sessions/auth.ts, e.g. "password" or "agent-password"), as a browser's sign-in form posts it.
 */
export async function signInOverHttp(baseUrl: string, provider: string, fields: Record<string, string>): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      jar.set(name!, value ?? '');
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  remember(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await fetch(`${baseUrl}/api/auth/callback/${provider}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie(), Origin: baseUrl },
    body: new URLSearchParams({ csrfToken, ...fields }),
  });
  remember(response);
  if (![...jar.keys()].some((k) => k.endsWith('regain.session'))) throw new Error(`Sign-in with ${provider} failed (HTTP ${response.status}).`);
  return cookie();
}
