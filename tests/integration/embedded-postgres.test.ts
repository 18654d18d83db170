import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '@/lib/config/processes';
import { startEmbeddedPostgres } from '@/lib/db/embedded';
import { freePort } from '../support/ports';

const dataDir = mkdtempSync(path.join(tmpdir(), 'regain-stale-'));
const exitDir = mkdtempSync(path.join(tmpdir(), 'regain-exit-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(exitDir, { recursive: true, force: true });
});

async function query(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT 1 AS one')).rows[0];
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('keeps a failing exit code when the process ends after the server stopped', async () => {
    const script = `
      import { startEmbeddedPostgres } from './lib/db/embedded.ts';
      const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(exitDir)}, port: ${await freePort()}, persistent: false });
      await server.stop();
      process.exitCode = 3;`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: 'ignore' });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });

  it('recovers when an earlier run was killed with SIGKILL and left its server running', async () => {
    const port = await freePort();
    // A separate process starts the server and is then killed without any chance to clean up.
    const script = `
      import { startEmbeddedPostgres } from './lib/db/embedded.ts';
      await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} });
      console.log('ready');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`starter exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const stalePid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(stalePid)).toBe(true); // the orphaned server is still up

    const server = await startEmbeddedPostgres({ dataDir, port });
    try {
      expect(await query(server.urlFor('postgres'))).toEqual({ one: 1 });
      // And it was the old one that went away (at most a zombie now, left for its new parent to reap).
      expect(isAlive(stalePid)).toBe(false);
    } finally {
      await server.stop();
    }
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
  });
});
