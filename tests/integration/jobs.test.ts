import { describe, expect, it } from 'vitest';
import { countJobs, enqueueJob, isLastAttempt, runDueJobs, type TaskList } from '@/lib/jobs';
import { useTestDatabase } from '../support/db';

const { db, url } = await useTestDatabase();

describe('the job queue', () => {
  it('adds a job with the transaction it belongs to: a rollback leaves none, a commit leaves one', async () => {
    await expect(
      db.$transaction(async (tx) => {
        await enqueueJob(tx, 'test-rollback', { n: 1 });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await countJobs(db, 'test-rollback')).toEqual({ waiting: 0, retrying: 0, dead: 0 });

    await db.$transaction(async (tx) => enqueueJob(tx, 'test-rollback', { n: 2 }));
    expect((await countJobs(db, 'test-rollback')).waiting).toBe(1);

    const seen: unknown[] = [];
    await runDueJobs({ connectionString: url, taskList: { 'test-rollback': async (payload) => void seen.push(payload) } });
    expect(seen).toEqual([{ n: 2 }]);
    expect(await countJobs(db, 'test-rollback')).toEqual({ waiting: 0, retrying: 0, dead: 0 });
  });

  it('keeps a failed job for another try, and its last failure as a dead letter', async () => {
    const attempts: boolean[] = [];
    const taskList: TaskList = {
      'test-fails': async (_payload, helpers) => {
        attempts.push(isLastAttempt(helpers));
        throw new Error('provider down');
      },
    };
    await enqueueJob(db, 'test-fails', {}, { maxAttempts: 2 });
    await runDueJobs({ connectionString: url, taskList });
    expect(await countJobs(db, 'test-fails')).toEqual({ waiting: 0, retrying: 1, dead: 0 });
    // Back-off put the next try in the future; bring it forward rather than wait.
    await db.$executeRaw`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'test-fails')`;
    await runDueJobs({ connectionString: url, taskList });
    expect(attempts).toEqual([false, true]);
    expect(await countJobs(db, 'test-fails')).toEqual({ waiting: 0, retrying: 0, dead: 1 });
  });

  it('a job key in keep mode adds one job however often it is asked for', async () => {
    await Promise.all(Array.from({ length: 20 }, () => enqueueJob(db, 'test-key', {}, { jobKey: 'one', jobKeyMode: 'keep' })));
    expect((await countJobs(db, 'test-key')).waiting).toBe(1);
  });
});
