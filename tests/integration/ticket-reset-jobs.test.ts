import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrisma } from '@/lib/db/client';
import { seal } from '@/lib/crypto';
import { createQueuedDelivery, DeliveryError, messageTasks, SEND_MESSAGE_TASK, type DispatchableMessage, type MessageDispatcher } from '@/lib/delivery';
import { countJobs, runDueJobs, startJobRunner, type Runner } from '@/lib/jobs';
import { setLogLevel } from '@/lib/log';
import { beginTicketCompletion, enqueueTicketReset, getApprovalLinkState, retryUnappliedApprovals, TICKET_LINK_TASK, TICKET_RESET_TASK, ticketResetTasks } from '@/lib/recovery/ticket-reset';
import { generateReference, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

/**
 * docs/security.md rule 28 for the approval link: it cannot go missing and never goes twice. The
 * link is issued and its mail queued in one transaction by a job with one key per ticket; the
 * link is written only while the ticket has none; the mail's retries come from the message queue.
 */

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);
const APP_URL = 'https://help.regain.test';
const MINUTE = 60_000;

/** A provider that records what it was handed, and fails the first `failures` messages to `failFor`. */
function recordingDispatcher(options: { failFor?: string; failures?: number } = {}) {
  const dispatched: DispatchableMessage[] = [];
  let failuresLeft = options.failures ?? 0;
  const dispatcher: MessageDispatcher = {
    providerFor: () => 'outbox',
    async dispatch(message) {
      if (message.to === options.failFor && failuresLeft > 0) {
        failuresLeft--;
        throw new DeliveryError('email', 'provider_error', 'injected: mail server down');
      }
      dispatched.push(message);
      return { provider: 'outbox', providerId: undefined };
    },
  };
  return { dispatcher, dispatched };
}

/** What a failure right after an approval made before the reset job existed leaves: APPROVED, no reset, no job. */
async function stuckApproval(now: Date) {
  const user = await createUser(db);
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(randomBytes(32), randomBytes(20), `totp:user:${user.id}`), confirmedAt: now } });
  const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Approver' }, select: { id: true } });
  const ticket = await db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: user.id,
      type: 'AUTHENTICATOR_RESET',
      status: 'APPROVED',
      contactEmail: `contact-${randomBytes(3).toString('hex')}@example.com`,
      lostFactors: ['authenticator'],
      approvedById: agent.id,
      applyNotBefore: new Date(now.getTime() - 30 * MINUTE),
      slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
    },
    select: { id: true, contactEmail: true },
  });
  await db.$executeRaw`UPDATE "RecoveryTicket" SET "updatedAt" = ${new Date(now.getTime() - 30 * MINUTE)} WHERE "id" = ${ticket.id}::uuid`;
  return { ticketId: ticket.id, contactEmail: ticket.contactEmail, userId: user.id, agentId: agent.id };
}

async function pendingJobs() {
  const counts = await Promise.all([TICKET_RESET_TASK, TICKET_LINK_TASK, SEND_MESSAGE_TASK].map((task) => countJobs(db, task)));
  return counts.reduce((sum, c) => sum + c.waiting + c.retrying, 0);
}

/** Polls the job table until nothing of this use case is waiting or retrying. */
async function untilQueueDrained(timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await pendingJobs()) === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms: ${await pendingJobs()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const link = (message: DispatchableMessage) => message.text.match(/\/recover\/complete#([A-Za-z0-9_-]{43})/)?.[1];

describe('the approval link (docs/security.md rule 28)', () => {
  const runners: Runner[] = [];
  const clients: ReturnType<typeof createPrisma>[] = [];
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await Promise.all(clients.map((c) => c.$disconnect()));
  });

  it('two app instances and overlapping sweeps on a stuck approval: one reset, one hold, one link, one mail', async () => {
    const now = new Date();
    const stuck = await stuckApproval(now);
    const { dispatcher, dispatched } = recordingDispatcher();

    // Two app instances: each its own Prisma client, its own queued delivery and its own runner pool.
    const instances = [createPrisma(url, { max: 4 }), createPrisma(url, { max: 4 })];
    clients.push(...instances);
    for (const instanceDb of instances) {
      const instanceDelivery = createQueuedDelivery({ db: instanceDb, hmacKey, providerFor: () => 'outbox' });
      const taskList = {
        ...ticketResetTasks({ db: instanceDb, delivery: instanceDelivery, hmacKey, appUrl: APP_URL }),
        ...messageTasks({ db: instanceDb, hmacKey, dispatcher }),
      };
      runners.push(await startJobRunner({ connectionString: url, taskList, concurrency: 4, pollIntervalMs: 200 }));
    }

    // Both instances ask for the reset's job (one job per ticket), and housekeeping runs on both
    // instances at once, twice over, while both runners take jobs.
    const [sweeps] = await Promise.all([
      Promise.all(
        [...instances, ...instances].map((instanceDb) =>
          retryUnappliedApprovals({ db: instanceDb, delivery: createQueuedDelivery({ db: instanceDb, hmacKey, providerFor: () => 'outbox' }), hmacKey, appUrl: APP_URL, now }),
        ),
      ),
      ...instances.map((instanceDb) => enqueueTicketReset(instanceDb, { ticketId: stuck.ticketId, agentId: stuck.agentId })),
    ]);
    // Which of them did the work depends on timing; that it was done once is what counts.
    expect(sweeps).toHaveLength(4);
    await untilQueueDrained();

    const ticket = await db.recoveryTicket.findUniqueOrThrow({ where: { id: stuck.ticketId }, select: { resetTokenHash: true, resetAppliedAt: true, resetLinkMessageId: true } });
    expect(ticket.resetTokenHash).not.toBeNull();
    expect(ticket.resetAppliedAt).not.toBeNull();
    expect(await db.outboundMessage.count({ where: { purpose: 'ticket-approved', to: stuck.contactEmail } })).toBe(1);
    const mails = dispatched.filter((m) => m.to === stuck.contactEmail);
    expect(mails).toHaveLength(1);
    expect(await db.securityHold.count({ where: { userId: stuck.userId } })).toBe(1);
    expect(await db.auditEvent.count({ where: { subjectId: stuck.ticketId, action: 'recovery.ticket_reset_applied' } })).toBe(1);
    expect(await db.auditEvent.count({ where: { subjectId: stuck.ticketId, action: 'ticket.reset_link_issued' } })).toBe(1);
    expect(await db.authenticator.count({ where: { userId: stuck.userId } })).toBe(0);
    expect(await getApprovalLinkState(db, stuck.ticketId)).toEqual({ state: 'sent' });

    // The one link mailed is the live one.
    await expect(beginTicketCompletion({ db, hmacKey, now }, { token: link(mails[0]!)! })).resolves.toMatchObject({ resetToken: expect.any(String) });

    // Later sweeps find nothing to do.
    expect(await retryUnappliedApprovals({ db, delivery: createQueuedDelivery({ db, hmacKey, providerFor: () => 'outbox' }), hmacKey, appUrl: APP_URL, now })).toBe(0);
    await untilQueueDrained();
    expect(dispatched.filter((m) => m.to === stuck.contactEmail)).toHaveLength(1);
    // The next test drives its jobs itself.
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  it('a link mail that fails is retried by the queue with the same link; the console sees queued, retrying, sent', async () => {
    setLogLevel('error'); // the provider failure is logged on purpose
    const now = new Date();
    const stuck = await stuckApproval(now);
    const { dispatcher, dispatched } = recordingDispatcher({ failFor: stuck.contactEmail, failures: 1 });
    const delivery = createQueuedDelivery({ db, hmacKey, providerFor: () => 'outbox' });
    const taskList = { ...ticketResetTasks({ db, delivery, hmacKey, appUrl: APP_URL }), ...messageTasks({ db, hmacKey, dispatcher }) };

    // The reset's job, as an approval enqueues it.
    await enqueueTicketReset(db, { ticketId: stuck.ticketId, agentId: stuck.agentId });
    expect(await getApprovalLinkState(db, stuck.ticketId)).toEqual({ state: 'pending' });
    await runDueJobs({ connectionString: url, taskList }); // the reset, then the link
    await runDueJobs({ connectionString: url, taskList }); // the link's job, if the first pass ran before it was due
    const hash = (await db.recoveryTicket.findUniqueOrThrow({ where: { id: stuck.ticketId }, select: { resetTokenHash: true } })).resetTokenHash;
    expect(hash).not.toBeNull();

    // The send failed once: the message waits for its next try.
    expect(await getApprovalLinkState(db, stuck.ticketId)).toEqual({ state: 'retrying' });
    expect(dispatched.filter((m) => m.to === stuck.contactEmail)).toHaveLength(0);

    // Bring the retry forward rather than wait out the back-off.
    await db.$executeRaw`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = ${SEND_MESSAGE_TASK})`;
    await runDueJobs({ connectionString: url, taskList });
    expect(await getApprovalLinkState(db, stuck.ticketId)).toEqual({ state: 'sent' });
    const mails = dispatched.filter((m) => m.to === stuck.contactEmail);
    expect(mails).toHaveLength(1);
    // Same link as issued: no second token was written.
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: stuck.ticketId }, select: { resetTokenHash: true } })).resetTokenHash).toEqual(hash);
    await expect(beginTicketCompletion({ db, hmacKey, now }, { token: link(mails[0]!)! })).resolves.toMatchObject({ resetToken: expect.any(String) });
  });
});
