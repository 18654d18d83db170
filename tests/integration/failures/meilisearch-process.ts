import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { serverScriptPath } from '../../support/meilisearch';

/**
 * A Meilisearch this test file owns and can stop and start again: started once with the shared
 * script (`../shared/tools/meilisearch-server start`), then stopped with SIGTERM and restarted from
 * the exact command line it ran with (read from /proc), so it comes back on the same port, with
 * the same master key and the same data. A shared MEILISEARCH_URL server cannot be used: these
 * tests take the server away.
 */
export type ControlledMeilisearch = {
  url: string;
  port: number;
  apiKey: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  dispose(): Promise<void>;
};

const execFileAsync = promisify(execFile);

export async function startControlledMeilisearch(): Promise<ControlledMeilisearch> {
  const script = serverScriptPath();
  if (!existsSync(script)) throw new Error(`No Meilisearch for failure tests: ${script} does not exist (see tests/support/meilisearch.ts).`);
  const { stdout } = await execFileAsync('bash', [script, 'start'], { timeout: 90_000 });
  const env = Object.fromEntries([...stdout.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  const { MEILISEARCH_URL: url = '', MEILISEARCH_API_KEY: apiKey = '', MEILISEARCH_PID: pidText = '', MEILISEARCH_DATA: data = '' } = env;
  if (!url || !apiKey || !pidText || !data) throw new Error(`meilisearch-server start: unexpected output ${stdout.trim()}`);

  let pid: number | undefined = Number(pidText);
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
  const port = Number(new URL(url).port);

  async function stop() {
    if (pid === undefined) return;
    const stopping = pid;
    pid = undefined;
    try {
      process.kill(stopping, 'SIGTERM');
    } catch {
      return; // already gone
    }
    for (let i = 0; i < 100 && alive(stopping); i++) await sleep(50);
    if (alive(stopping)) process.kill(stopping, 'SIGKILL');
    // Closed means closed: wait until nothing answers on the port.
    for (let i = 0; i < 100 && (await healthy(url)); i++) await sleep(50);
  }

  async function start() {
    if (pid !== undefined) return;
    const logFd = openSync(path.join(data, 'log'), 'a');
    const child = spawn(exe, args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    child.unref();
    pid = child.pid;
    for (let i = 0; i < 200; i++) {
      if (await healthy(url)) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`Meilisearch did not come back on ${url}: ${readFileSync(path.join(data, 'log'), 'utf8').slice(-2000)}`);
  }

  return {
    url,
    port,
    apiKey,
    running: () => pid !== undefined,
    stop,
    start,
    async dispose() {
      await stop();
      if (path.basename(data).startsWith('meili.')) rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Running, and not a zombie waiting for a parent (the script's server is reparented) to reap it. */
function alive(pid: number) {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function healthy(url: string) {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })
    .then((r) => r.ok)
    .catch(() => false);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
