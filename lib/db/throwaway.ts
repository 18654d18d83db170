import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAlive, stopProcess } from '../config/processes';

/**
 * Throwaway folders for the local servers of a run (the test and browser-test PostgreSQL, the test
 * Meilisearch). Each folder names the process that owns it. Its owner removes it on a normal exit
 * or a SIGINT/SIGTERM; nothing runs on SIGKILL, so every new run first clears the folders whose
 * owner is gone: it stops the servers still running in them and removes them.
 *
 * Only folders with an owner file are touched: a folder of another checkout's run on the same
 * machine is left alone while its owner lives.
 */
const PREFIX = 'regain-throwaway-';
const OWNER_FILE = 'owner.pid';
/**
 * Server pid files a folder may hold: PostgreSQL's own (its data folder is `data/`: initdb wants an
 * empty folder), and the one tests/support/meilisearch-server.ts writes.
 */
const SERVER_PID_FILES = [
  { file: 'data/postmaster.pid', signal: 'SIGINT' }, // PostgreSQL's fast shutdown
  { file: 'server.pid', signal: 'SIGTERM' },
] as const;

/** A new throwaway folder owned by this process, after clearing the abandoned ones. */
export async function createThrowawayDir(kind: string): Promise<string> {
  await removeAbandonedThrowawayDirs();
  const dir = mkdtempSync(path.join(tmpdir(), `${PREFIX}${kind}-`));
  // Open to look into: as root, PostgreSQL runs as its own user and needs to reach its data folder.
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  ownDirs.add(dir);
  return dir;
}

// Whatever way this process ends short of SIGKILL (a test runner may exit on SIGTERM without its
// teardown), the servers of its folders are told to stop and the folders go.
const ownDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of ownDirs) {
    for (const { file, signal } of SERVER_PID_FILES) {
      const pid = readPid(path.join(dir, file));
      if (pid !== undefined && isAlive(pid)) process.kill(pid, signal);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

export function removeThrowawayDir(dir: string) {
  if (path.basename(dir).startsWith(PREFIX)) rmSync(dir, { recursive: true, force: true });
  ownDirs.delete(dir);
}

/** Stops the servers of throwaway folders whose owner process is gone, and removes the folders. */
export async function removeAbandonedThrowawayDirs(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(tmpdir(), name);
    const owner = readPid(path.join(dir, OWNER_FILE));
    if (owner === undefined || isAlive(owner)) continue;
    for (const { file, signal } of SERVER_PID_FILES) {
      const pid = readPid(path.join(dir, file));
      if (pid !== undefined) await stopProcess(pid, signal);
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
