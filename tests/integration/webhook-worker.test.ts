import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPrisma } from '@/lib/db/client';
import { startHold } from '@/lib/holds';
import { setLogLevel } from '@/lib/log';
import { startWebhookWorker, type WebhookWorker } from '@/lib/platform/webhook-worker';
import { enqueueWebhook, verifyWebhookSignature } from '@/lib/platform/webhooks';
import { fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';
import { freePort } from '../support/ports';

const { db, url } = await useTestDatabase();
// The worker's routine lines (started, per-run summaries) would drown the test output.
setLogLevel('warn');

type Received = { headers: IncomingMessage['headers']; body: string };

/** The host's endpoint: a real HTTP server on loopback; each test decides how it answers. */
async function startHost(respond: (req: IncomingMessage, res: ServerResponse, n: number) => void = (_req, res) => res.writeHead(204).end()) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: { url: `http://127.0.0.1:${port}/hooks/regain`, secret: randomBytes(32).toString('hex') },
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A clock that counts the worker's runs: deliverPendingWebhooks is asked for "now" once per run. */
function countingClock(now: () => Date = () => new Date()) {
  const clock = {
    runs: 0,
    now: () => {
      clock.runs++;
      return now();
    },
    /** Resolves after `n` more runs have started, i.e. at least `n - 1` whole runs have finished. */
    async laterRuns(n: number) {
      const target = clock.runs + n;
      await expect.poll(() => clock.runs, { timeout: 10_000, interval: 5 }).toBeGreaterThanOrEqual(target);
    },
  };
  return clock;
}

const poll = <T>(value: () => T) => expect.poll(value, { timeout: 10_000, interval: 10 });

const workers: WebhookWorker[] = [];
const closers: (() => Promise<void>)[] = [];
function track<T extends WebhookWorker>(worker: T) {
  workers.push(worker);
  return worker;
}

beforeEach(async () => {
  await db.webhookDelivery.deleteMany();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('webhook worker', () => {
  it('posts hold.started to the host once, signed so that verifyWebhookSignature accepts it', async () => {
    const host = await startHost();
    closers.push(host.close);
    const clock = countingClock();
    track(startWebhookWorker({ db, endpoint: host.endpoint, intervalMs: 10, now: clock.now }));

    const user = await createUser(db);
    const hold = await startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: new Date() });

    await poll(() => host.received.length).toBe(1);
    const { headers, body } = host.received[0]!;
    expect(headers['regain-event']).toBe('hold.started');
    const signed = {
      secret: host.endpoint.secret,
      timestamp: headers['regain-timestamp'] as string,
      signature: headers['regain-signature'] as string,
      body,
      now: new Date(),
    };
    expect(verifyWebhookSignature(signed)).toBe(true);
    expect(verifyWebhookSignature({ ...signed, secret: randomBytes(32).toString('hex') })).toBe(false);
    const [row] = await db.webhookDelivery.findMany();
    expect(headers['regain-delivery']).toBe(row!.id);
    expect(JSON.parse(body)).toMatchObject({
      id: row!.id,
      event: 'hold.started',
      data: { accountId: user.id, endsAt: hold.endsAt.toISOString(), scope: ['withdrawals', 'p2p_trading'], reason: 'authenticator_reset' },
    });

    // Several further runs later it has still been posted exactly once.
    await clock.laterRuns(5);
    expect(host.received).toHaveLength(1);
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('two workers (two server processes) post each delivery exactly once', async () => {
    // A host slow enough that the workers' runs interleave while requests are in flight.
    const host = await startHost((_req, res) => setTimeout(() => res.writeHead(200).end(), 15));
    closers.push(host.close);
    const clock = countingClock();
    // A second client, as a second process would have: its own connections and transactions.
    const otherDb = createPrisma(url);
    closers.push(() => otherDb.$disconnect());
    for (const client of [db, otherDb]) track(startWebhookWorker({ db: client, endpoint: host.endpoint, intervalMs: 1, now: clock.now }));

    const now = new Date();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await enqueueWebhook(db, { event: 'hold.started', payload: { n: i }, now })).id);

    await poll(() => host.received.length).toBeGreaterThanOrEqual(20);
    await clock.laterRuns(10);
    const posted = host.received.map((r) => r.headers['regain-delivery'] as string);
    expect(posted).toHaveLength(20);
    expect(new Set(posted)).toEqual(ids);
    expect(await db.webhookDelivery.count({ where: { status: 'DELIVERED', attempts: 1 } })).toBe(20);
  });

  it('retries a delivery the host answered with 500 once it is due, not before', async () => {
    const host = await startHost((_req, res, n) => res.writeHead(n === 1 ? 500 : 204).end());
    closers.push(host.close);
    const fixed = fixedClock('2026-05-01T10:00:00Z');
    const clock = countingClock(fixed.now);
    track(startWebhookWorker({ db, endpoint: host.endpoint, intervalMs: 5, now: clock.now }));

    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'PASSKEY_RESET', now: fixed.now() });
    await poll(() => host.received.length).toBe(1);
    await clock.laterRuns(2); // the failed attempt has been recorded
    const [row] = await db.webhookDelivery.findMany();
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'HTTP 500' });
    expect(row!.nextAttemptAt).toEqual(new Date('2026-05-01T10:01:00Z'));

    // Not due yet: the worker keeps running but leaves it alone.
    fixed.advance(59);
    await clock.laterRuns(5);
    expect(host.received).toHaveLength(1);

    fixed.advance(1);
    await poll(() => host.received.length).toBe(2);
    await clock.laterRuns(2);
    const retry = host.received[1]!;
    expect(retry.headers['regain-delivery']).toBe(row!.id);
    expect(retry.body).toBe(host.received[0]!.body); // same event, same body; only the timestamp is new
    expect(retry.headers['regain-timestamp']).toBe(String(fixed.now().getTime() / 1000));
    expect(
      verifyWebhookSignature({
        secret: host.endpoint.secret,
        timestamp: retry.headers['regain-timestamp'] as string,
        signature: retry.headers['regain-signature'] as string,
        body: retry.body,
        now: fixed.now(),
      }),
    ).toBe(true);
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'DELIVERED', attempts: 2, lastError: null });
  });

  it('never runs twice at once, even when a run takes longer than the interval', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    // Each request queues the next event and answers slowly: an overlapping run would claim that
    // event and post it while this request is still open.
    const host = await startHost((_req, res, n) => {
      void (async () => {
        if (n < 5) await enqueueWebhook(db, { event: 'hold.started', payload: { n }, now: new Date() });
        setTimeout(() => res.writeHead(204).end(), 50);
      })();
    });
    closers.push(host.close);
    const countingFetch: typeof fetch = async (input, init) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    await enqueueWebhook(db, { event: 'hold.started', payload: { n: 0 }, now: new Date() });
    track(startWebhookWorker({ db, endpoint: host.endpoint, intervalMs: 1, fetch: countingFetch }));

    await poll(() => host.received.length).toBe(5);
    await poll(async () => db.webhookDelivery.count({ where: { status: 'DELIVERED' } })).toBe(5);
    expect(maxInFlight).toBe(1);
  });

  it('logs a failing run instead of throwing, keeps running, and starts no run after stop()', async () => {
    // A database nobody listens on: every run fails to connect.
    const broken = createPrisma(`postgresql://postgres:postgres@127.0.0.1:${await freePort()}/nothing`);
    const written: string[] = [];
    const stderr = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    const clock = countingClock();
    try {
      const worker = track(startWebhookWorker({ db: broken, endpoint: { url: 'http://127.0.0.1:9/', secret: 'x'.repeat(32) }, intervalMs: 5, now: clock.now }));
      await clock.laterRuns(3);
      await worker.stop();
    } finally {
      process.stderr.write = stderr;
      await broken.$disconnect();
    }
    const failures = written.filter((line) => line.includes('"webhook_worker_failed"'));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(failures[0]!)).toMatchObject({ level: 'error', event: 'webhook_worker_failed' });

    // After stop() no further run starts.
    const runs = clock.runs;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(clock.runs).toBe(runs);
  });

  it('stop() resolves only after the delivery in flight is recorded', async () => {
    const host = await startHost((_req, res) => setTimeout(() => res.writeHead(204).end(), 100));
    closers.push(host.close);
    const { id } = await enqueueWebhook(db, { event: 'hold.started', payload: {}, now: new Date() });
    const worker = track(startWebhookWorker({ db, endpoint: host.endpoint, intervalMs: 5 }));
    await poll(() => host.received.length).toBe(1);
    await worker.stop();
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'DELIVERED' });
  });
});
