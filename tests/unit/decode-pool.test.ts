import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { createDecodePool, DECODE_CONCURRENCY, DECODE_QUEUE, decodePool } from '@/lib/recovery/documents/decode-pool';

/**
 * The bounded decode pool (docs/security.md rule 18, pixel floods; the numbers live in decode-pool.ts).
 * Concurrency is measured with a counter inside the tasks, never with timing.
 */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets every promise callback that is ready run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('decode pool', () => {
  it('is small: two decodes at once and a short queue', () => {
    expect(DECODE_CONCURRENCY).toBe(2);
    expect(DECODE_QUEUE).toBeLessThanOrEqual(8);
    expect(decodePool.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it('never runs more than its concurrency at once, and runs everything it accepted', async () => {
    const pool = createDecodePool({ concurrency: 2, queue: 8 });
    let running = 0;
    let most = 0;
    const gates = Array.from({ length: 10 }, gate);
    const done = gates.map((g, i) =>
      pool.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await g.opened;
        running -= 1;
        return i;
      }),
    );
    await settle();
    expect(running).toBe(2);
    expect(pool.stats()).toEqual({ running: 2, waiting: 8 });
    // Release them one at a time, in an order that is not the arrival order.
    for (const index of [1, 0, 3, 2, 5, 4, 7, 6, 9, 8]) {
      gates[index]!.open();
      await settle();
      expect(running).toBeLessThanOrEqual(2);
    }
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(2);
    expect(pool.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once with a 429-style retry error when the queue is full, and accepts again once it drains', async () => {
    const pool = createDecodePool({ concurrency: 2, queue: 3, retryAfterSeconds: 7 });
    const hold = gate();
    let started = 0;
    const accepted = Array.from({ length: 5 }, () =>
      pool.run(async () => {
        started += 1;
        await hold.opened;
      }),
    );
    let refusedTaskRan = false;
    const refused = await pool
      .run(async () => {
        refusedTaskRan = true;
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 7 });
    expect((refused as AppError).userMessage).toMatch(/try|again/i);
    expect(refusedTaskRan).toBe(false);
    await settle();
    expect(started).toBe(2);

    hold.open();
    await Promise.all(accepted);
    expect(started).toBe(5);
    await expect(pool.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('frees the slot when a decode fails', async () => {
    const pool = createDecodePool({ concurrency: 1, queue: 0 });
    await expect(pool.run(async () => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image');
    expect(pool.stats()).toEqual({ running: 0, waiting: 0 });
    await expect(pool.run(async () => 1)).resolves.toBe(1);
  });
});
