import { randomBytes } from 'node:crypto';
import { parseCrontab } from 'graphile-worker';
import { afterAll, describe, expect, it } from 'vitest';
import { countJobs, startJobRunner, type Runner, type TaskList } from '@/lib/jobs';
import { setLogLevel } from '@/lib/log';
import { housekeepingTaskList } from '@/lib/maintenance';
import { CRONTAB } from '@/lib/worker';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';

const { db, url } = await useTestDatabase();
setLogLevel('error');

const runners: Runner[] = [];
afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop()));
});

describe('housekeeping as cron items', () => {
  it('every housekeeping and retention task is on the schedule, and only tasks the worker knows', () => {
    const known = Object.keys(housekeepingTaskList({ db, ...capturingDelivery(), hmacKey: randomBytes(32), appUrl: 'https://help.example.com' }));
    const scheduled = CRONTAB.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/)[5]!);
    for (const task of known) expect(scheduled).toContain(task);
    for (const task of scheduled) expect([...known, 'webhooks:requeue-waiting']).toContain(task);
    // graphile-worker accepts every line, options included.
    expect(parseCrontab(CRONTAB)).toHaveLength(scheduled.length);
  });

  it('two app instances run each tick of a cron item once, not twice', async () => {
    const housekeeping = housekeepingTaskList({ db, ...capturingDelivery(), hmacKey: randomBytes(32), appUrl: 'https://help.example.com' });
    // Each run, by task and tick: graphile-worker puts the tick's time in the payload.
    const runs = new Map<string, number>();
    const taskList: TaskList = Object.fromEntries(
      Object.entries(housekeeping).map(([name, task]) => [
        name,
        async (payload, helpers) => {
          const tick = `${name}@${(payload as { _cron?: { ts?: string } })._cron?.ts}`;
          runs.set(tick, (runs.get(tick) ?? 0) + 1);
          await task!(payload, helpers);
        },
      ]),
    );
    const crontab = CRONTAB.split('\n').filter((line) => line.trim() && line.trim().split(/\s+/)[5]! in housekeeping).join('\n');
    expect(crontab).toContain('housekeeping:anchor-audit');

    // The cluster was down at the top of this hour: the anchor's last run was two hours ago. Its
    // crontab line backfills one hour, so on start-up the missed tick is made up, once for the
    // cluster however many instances start at the same moment.
    await db.$executeRaw`
      INSERT INTO graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
      VALUES ('housekeeping:anchor-audit', now() - interval '3 hours', now() - interval '2 hours')`;
    const anchorsBefore = await db.auditAnchor.count({ where: { reason: 'schedule' } });

    runners.push(
      ...(await Promise.all([0, 1].map(() => startJobRunner({ connectionString: url, taskList, crontab, concurrency: 2, pollIntervalMs: 50 })))),
    );
    const anchorTicks = () => [...runs.keys()].filter((k) => k.startsWith('housekeeping:anchor-audit@'));
    await expect.poll(() => anchorTicks().length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(1);
    // Every housekeeping job the ticks added has run (the anchor also queues an audit.anchor webhook,
    // which these runners do not post).
    const housekeepingJobsLeft = async () => {
      let left = 0;
      for (const name of Object.keys(housekeeping)) {
        const jobs = await countJobs(db, name);
        left += jobs.waiting + jobs.retrying;
      }
      return left;
    };
    await expect.poll(housekeepingJobsLeft, { timeout: 20_000, interval: 20 }).toBe(0);

    expect([...runs.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // One anchor per tick: the cron item ran once, not once per instance.
    expect((await db.auditAnchor.count({ where: { reason: 'schedule' } })) - anchorsBefore).toBe(anchorTicks().length);
  });
});
