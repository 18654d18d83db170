import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHold } from '@/lib/holds';
import { countJobs, runDueJobs, startJobRunner, type Runner } from '@/lib/jobs';
import { setLogLevel } from '@/lib/log';
import {
  DELIVER_WEBHOOK_TASK,
  deliverWebhookTask,
  enqueueWebhook,
  requeueWaitingWebhooks,
  verifyWebhookSignature,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_TIMEOUT_MS,
  type WebhookEndpoint,
} from '@/lib/webhooks';
import { fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db, url } = await useTestDatabase();
// Retries log a warning each; the output would drown the test report.
setLogLevel('error');

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
  const host = {
    endpoint: { url: `http://127.0.0.1:${port}/hooks/regain`, secret: randomBytes(32).toString('hex') } as WebhookEndpoint,
    received,
    /** The events posted, in arrival order, by their payload's `n`. */
    order: () => received.map((r) => (JSON.parse(r.body) as { data: { n?: unknown } }).data.n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  closers.push(host.close);
  return host;
}

const closers: (() => Promise<void>)[] = [];
const runners: Runner[] = [];

beforeEach(async () => {
  await db.webhookDelivery.deleteMany();
  await db.$executeRaw`DELETE FROM graphile_worker._private_jobs`;
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(closers.splice(0).map((close) => close()));
});

const tasks = (endpoint: WebhookEndpoint | undefined, options: { timeoutMs?: number; now?: () => Date } = {}) => ({
  [DELIVER_WEBHOOK_TASK]: deliverWebhookTask({ db, endpoint, ...options }),
});

/** Brings every waiting job forward by a day (so it is due) keeping their relative order: back-off without the wait. */
const makeRetriesDue = () => db.$executeRaw`UPDATE graphile_worker._private_jobs SET run_at = run_at - interval '1 day' WHERE locked_at IS NULL`;

/** Runs due jobs, then makes the rest due, until the queue is empty (or `rounds` runs). */
async function drain(endpoint: WebhookEndpoint | undefined, options: Parameters<typeof tasks>[1] = {}, rounds = 50) {
  for (let i = 0; i < rounds; i++) {
    await runDueJobs({ connectionString: url, taskList: tasks(endpoint, options) });
    const left = await countJobs(db, DELIVER_WEBHOOK_TASK);
    if (left.waiting + left.retrying === 0) return;
    await makeRetriesDue();
  }
  throw new Error('the webhook queue did not drain');
}

describe('webhooks through the job queue', () => {
  it('an event written in a transaction that rolled back is never posted', async () => {
    const host = await startHost();
    await expect(
      db.$transaction(async (tx) => {
        await enqueueWebhook(tx, { event: 'hold.started', payload: { n: 1 }, now: new Date() });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.webhookDelivery.count()).toBe(0);
    expect(await countJobs(db, DELIVER_WEBHOOK_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 0 });
    await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint) });
    expect(host.received).toHaveLength(0);
  });

  it('a committed hold.started is posted once, signed so that verifyWebhookSignature accepts it', async () => {
    const host = await startHost();
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: clock.now() });
    const [pending] = await db.webhookDelivery.findMany();
    expect(await countJobs(db, DELIVER_WEBHOOK_TASK)).toMatchObject({ waiting: 1 });

    await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint, { now: clock.now }) });
    expect(host.received).toHaveLength(1);
    const { headers, body } = host.received[0]!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['regain-event']).toBe('hold.started');
    expect(headers['regain-delivery']).toBe(pending!.id);
    expect(headers['regain-timestamp']).toBe(String(clock.now().getTime() / 1000));
    expect(headers['regain-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(JSON.parse(body)).toMatchObject({
      id: pending!.id,
      event: 'hold.started',
      data: { accountId: user.id, endsAt: '2026-05-02T10:00:00.000Z', scope: ['withdrawals', 'p2p_trading'], reason: 'authenticator_reset' },
    });

    const timestamp = headers['regain-timestamp'] as string;
    const signature = headers['regain-signature'] as string;
    const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({ secret: host.endpoint.secret, timestamp, body, signature, now: clock.now(), ...overrides });
    expect(verify({})).toBe(true);
    expect(verify({ now: new Date(clock.now().getTime() + 299_000) })).toBe(true);
    expect(verify({ body: body.replace('authenticator_reset', 'contact_change') })).toBe(false);
    expect(verify({ body: `${body} ` })).toBe(false);
    expect(verify({ now: new Date(clock.now().getTime() + 301_000) })).toBe(false); // stale: a replay
    expect(verify({ now: new Date(clock.now().getTime() - 301_000) })).toBe(false);
    expect(verify({ timestamp: String(Number(timestamp) + 1) })).toBe(false); // the timestamp is signed too
    expect(verify({ secret: 'another secret' })).toBe(false);
    expect(verify({ signature: null })).toBe(false);
    expect(verify({ signature: 'v1=' })).toBe(false);
    expect(verify({ signature: `v0=${signature.slice(3)}` })).toBe(false);
    expect(verify({ signature: `v1=${'0'.repeat(64)}, ${signature}` })).toBe(true); // secret rotation

    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id: pending!.id } })).toMatchObject({ status: 'DELIVERED', attempts: 1, deliveredAt: clock.now(), lastError: null });
    // Its job is gone: running the queue again posts nothing, and the re-enqueue cron adds nothing.
    expect(await requeueWaitingWebhooks({ db, endpoint: host.endpoint })).toBe(0);
    await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint) });
    expect(host.received).toHaveLength(1);
  });

  it('a failing host gets every retry with the same delivery id and body, and the row ends FAILED after the last', async () => {
    const host = await startHost((_req, res) => res.writeHead(503).end());
    const { id } = await enqueueWebhook(db, { event: 'hold.started', payload: { n: 1 }, now: new Date() });
    for (let attempt = 1; attempt <= WEBHOOK_MAX_ATTEMPTS; attempt++) {
      await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint) });
      expect(host.received).toHaveLength(attempt);
      const row = await db.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ attempts: attempt, lastError: 'HTTP 503', status: attempt < WEBHOOK_MAX_ATTEMPTS ? 'PENDING' : 'FAILED' });
      // graphile-worker's back-off put the retry in the future: not before then.
      await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint) });
      expect(host.received).toHaveLength(attempt);
      await makeRetriesDue();
    }
    expect(new Set(host.received.map((r) => r.headers['regain-delivery']))).toEqual(new Set([id]));
    expect(new Set(host.received.map((r) => r.body)).size).toBe(1);
    expect(await countJobs(db, DELIVER_WEBHOOK_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 1 });
    // A dead letter stays dead: nothing posts it again, and the re-enqueue cron leaves FAILED rows alone.
    expect(await requeueWaitingWebhooks({ db, endpoint: host.endpoint })).toBe(0);
    await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint) });
    expect(host.received).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
  });

  it("keeps an endpoint's events in order when the first one fails and is retried", async () => {
    // The first post of event 1 fails; everything after is acknowledged.
    const host = await startHost((_req, res, n) => res.writeHead(n === 1 ? 500 : 204).end());
    for (const n of [1, 2, 3]) await enqueueWebhook(db, { event: 'hold.started', payload: { n }, now: new Date() });
    await runDueJobs({ connectionString: url, taskList: tasks(host.endpoint) });
    // Events 2 and 3 waited behind event 1's retry instead of overtaking it.
    expect(host.order()).toEqual([1]);
    expect(await db.webhookDelivery.count({ where: { status: 'PENDING' } })).toBe(3);
    await drain(host.endpoint);
    expect(host.order()).toEqual([1, 1, 2, 3]);
    expect(await db.webhookDelivery.count({ where: { status: 'DELIVERED' } })).toBe(3);
  });

  it('events wait while no host URL is configured, and go out in order once one is', async () => {
    for (const n of [1, 2]) await enqueueWebhook(db, { event: 'hold.started', payload: { n }, now: new Date() });
    await runDueJobs({ connectionString: url, taskList: tasks(undefined) });
    expect(await db.webhookDelivery.count({ where: { status: 'PENDING', attempts: 0 } })).toBe(2);
    expect(await requeueWaitingWebhooks({ db, endpoint: undefined })).toBe(0);

    const host = await startHost();
    expect(await requeueWaitingWebhooks({ db, endpoint: host.endpoint })).toBe(2);
    // Asking again while their jobs wait adds nothing.
    expect(await requeueWaitingWebhooks({ db, endpoint: host.endpoint })).toBe(0);
    await drain(host.endpoint);
    expect(host.order()).toEqual([1, 2]);
  });

  it('a hanging host times out as a failed attempt; a redirect or an unreachable host is a failed attempt, not a crash', async () => {
    expect(WEBHOOK_TIMEOUT_MS).toBe(5_000); // the default; this test waits less
    const hanging = await startHost(() => {});
    const { id } = await enqueueWebhook(db, { event: 'hold.started', payload: { n: 'hang' }, now: new Date() });
    await runDueJobs({ connectionString: url, taskList: tasks(hanging.endpoint, { timeoutMs: 300 }) });
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'timeout after 300 ms' });

    const redirect = await startHost((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end());
    await makeRetriesDue();
    await runDueJobs({ connectionString: url, taskList: tasks(redirect.endpoint) });
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'PENDING', attempts: 2, lastError: 'HTTP 302' });

    const gone = await startHost();
    await gone.close();
    await makeRetriesDue();
    await runDueJobs({ connectionString: url, taskList: tasks(gone.endpoint) });
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'PENDING', attempts: 3 });
    expect(await countJobs(db, DELIVER_WEBHOOK_TASK)).toMatchObject({ retrying: 1 });
  });

  it('two app instances (two runners, their own pools) post every event exactly once and in order', async () => {
    // Slow enough that both runners are busy while requests are in flight.
    const host = await startHost((_req, res) => setTimeout(() => res.writeHead(200).end(), 5));
    const taskList = tasks(host.endpoint);
    for (let i = 0; i < 2; i++) runners.push(await startJobRunner({ connectionString: url, taskList, concurrency: 4, pollIntervalMs: 50 }));
    const ids: string[] = [];
    for (let n = 0; n < 20; n++) ids.push((await enqueueWebhook(db, { event: 'hold.started', payload: { n }, now: new Date() })).id);

    await expect.poll(() => db.webhookDelivery.count({ where: { status: 'DELIVERED' } }), { timeout: 20_000, interval: 20 }).toBe(20);
    expect(host.received.map((r) => r.headers['regain-delivery'])).toEqual(ids);
    expect(await db.webhookDelivery.count({ where: { attempts: 1 } })).toBe(20);
  });
});
