import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// Local servers of a run (scripts/dev.ts, the test harness): whether a process still lives, how to
// stop one, and what is left listening on a port by a run that was killed outright.

/** Running and not a zombie (a server whose parent was killed waits in that state until reaped). */
export function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): signal 0 said it exists
  }
}

/** Sends `signal`, waits up to 15 s, then SIGKILL. */
export async function stopProcess(pid: number, signal: NodeJS.Signals) {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Calls `then` once process `pid` is gone: a server started by a test runner stops with it, even
 * when the runner is killed with SIGKILL and has no chance to stop it.
 */
export function whenProcessGone(pid: number, then: () => void) {
  const timer = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(timer);
    then();
  }, 500);
  timer.unref();
}

/**
 * The leader of this process's group: the command a shell started (`npm test`), of which this
 * process is a descendant. Linux only; undefined elsewhere or when this process leads its group.
 */
export function processGroupLeader(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(pgrp) && pgrp > 1 && pgrp !== process.pid ? pgrp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops what still listens on `ports` from an earlier run of this checkout (a process whose working
 * folder is `cwd`), so a killed run never blocks the next start. Anything else on those ports is
 * left alone. Linux only (it reads /proc); elsewhere it does nothing.
 */
export function stopStaleListeners(ports: number[], cwd: string): number[] {
  const stopped: number[] = [];
  for (const pid of listeningPids(new Set(ports))) {
    if (pid === process.pid || cwdOf(pid) !== cwd) continue;
    try {
      process.kill(pid, 'SIGTERM');
      stopped.push(pid);
    } catch {
      // gone already
    }
  }
  // Synchronous on purpose: the browser-test config runs this before its servers start.
  const deadline = Date.now() + 10_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (stopped.some(isAlive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
  for (const pid of stopped.filter(isAlive)) process.kill(pid, 'SIGKILL');
  return stopped;
}

function listeningPids(ports: Set<number>): number[] {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      return [];
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local address "hexip:hexport", state 0A = LISTEN, inode in column 10
      if (fields[3] === '0A' && ports.has(parseInt(fields[1]?.split(':')[1] ?? '', 16))) inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const owns = readdirSync(`/proc/${entry}/fd`).some((fd) => {
        const target = safeReadlink(`/proc/${entry}/fd/${fd}`);
        return target?.startsWith('socket:[') && inodes.has(target.slice(8, -1));
      });
      if (owns) pids.push(Number(entry));
    } catch {
      // not ours to read, or gone
    }
  }
  return pids;
}

function cwdOf(pid: number) {
  return safeReadlink(`/proc/${pid}/cwd`);
}

function safeReadlink(link: string) {
  try {
    return readlinkSync(link);
  } catch {
    return undefined;
  }
}
