import { AppError } from '@/lib/errors';

/**
 * Decoding an upload (a photo re-encoded by sharp, a PDF rendered page by page) is the most
 * expensive thing an anonymous visitor can make the server do. Each decode therefore takes a slot in
 * a small pool: at most DECODE_CONCURRENCY run at once, at most DECODE_QUEUE wait, and anything
 * beyond that is refused straight away with a retry message instead of piling up. A flood of uploads
 * then slows uploads only; pages, sign-in and the console keep the remaining CPU (the machines have
 * two cores).
 *
 * These numbers are the one place the bound is set.
 */
export const DECODE_CONCURRENCY = 2;
/**
 * Measured here: a phone photo takes 0.1-0.3 s, a PDF about 0.4 s a page (render and re-encode), so a
 * full queue waits a second or two for photos and at most about six for five-page PDFs. Longer than
 * that is a flood, not a queue.
 */
export const DECODE_QUEUE = 6;
/** What a refused uploader is told to wait: the queue drains in a few seconds. */
export const DECODE_RETRY_AFTER_SECONDS = 10;

export type DecodePool = {
  /** Runs `task` when a slot is free; throws a 429 AppError at once when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** For tests and health output: decodes running now and waiting now. */
  readonly stats: () => { running: number; waiting: number };
};

export function createDecodePool(options: { concurrency: number; queue: number; retryAfterSeconds?: number } = { concurrency: DECODE_CONCURRENCY, queue: DECODE_QUEUE }): DecodePool {
  const { concurrency, queue } = options;
  const retryAfterSeconds = options.retryAfterSeconds ?? DECODE_RETRY_AFTER_SECONDS;
  let running = 0;
  const waiting: (() => void)[] = [];

  const release = () => {
    const next = waiting.shift();
    // The slot passes straight to the next task, so `running` never dips below the true count.
    if (next) next();
    else running -= 1;
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < concurrency) {
        running += 1;
      } else if (waiting.length < queue) {
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        throw new AppError({
          code: 'rate_limited',
          userMessage: 'We are checking a lot of photos right now. Please wait a few seconds and upload this one again.',
          internalMessage: `Decode pool full (${running} running, ${waiting.length} waiting)`,
          retryAfterSeconds,
        });
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}

/** The process-wide pool every upload goes through. */
export const decodePool: DecodePool = createDecodePool();
