import { randomBytes, randomUUID } from 'node:crypto';
import { type Browser, expect, test } from '@playwright/test';
import { totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { createPrisma, type Db } from '@/lib/db/client';
import { createApiKey } from '@/lib/platform/api-keys';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { documentFront } from '../support/faces';
import { jpeg } from '../support/images';
import { accountWithAuthenticator, consoleAgent, consoleSignIn, signIn, storedPasskey, type ConsoleAgent } from './accounts';
import { pendingApproval, recoveryTicket } from './fixtures';
import {
  captureServerAction,
  E2E,
  hydrated,
  latestCodeSentTo,
  replayServerAction,
  rewriteBody,
  type ServerActionAnswer,
  sinkMessages,
  tamperServerAction,
  ownContexts,
} from './support';

/**
 * IDOR sweep over HTTP against the production build (docs/security.md rule 12: "every ticket and
 * document access checks that the actor may see it (no IDOR)"; docs/architecture.md example 3). Every
 * route and server action that takes an id is called by the wrong principal: signed out, another
 * account holder, an agent whose role or assignment does not allow it, with an id of someone
 * else's object, a random UUID or a malformed id. Each is refused without showing the object, and
 * the database proves nothing changed. Server actions are driven through the real forms with the
 * id rewritten on its way out (tamperServerAction), or replayed from a captured request with
 * another principal's cookies (replayServerAction).
 *
 * Who may do what in the console is lib/access: an AGENT views and works only
 * the tickets assigned to them, except that any other agent may view (not work) a high-risk
 * ticket waiting for its second approval, and confirm it; supervisors and admins view and work
 * every ticket; only supervisors and admins assign; nobody confirms their own approval.
 */

// Requests from this file come from their own documentation-range address (RFC 5737), so the
// per-IP limits they touch are never the other journeys' ones.
const IP = '192.0.2.17';
const MALFORMED = ['not-a-uuid', "' OR '1'='1", '../../etc/passwd'];
const NOT_FOUND = 'That recovery request was not found, or it is not yours to open.';

let db: Db;
test.beforeAll(() => {
  db = createPrisma(E2E.databaseUrl);
});
test.afterAll(async () => {
  await db.$disconnect();
});

// Browser contexts a test opened for its principals, closed after it.
const newPage = ownContexts(IP);

async function signedInAgent(browser: Browser, agent: ConsoleAgent) {
  const page = await newPage(browser);
  await consoleSignIn(page, agent);
  return page;
}

async function signedInHolder(browser: Browser, account: Awaited<ReturnType<typeof accountWithAuthenticator>>) {
  const page = await newPage(browser);
  await signIn(page, account.email, account.password, account.code());
  await expect(page).toHaveURL(/\/account\/security$/);
  return page;
}

/** Everything a console use case could change on a ticket. */
async function ticketState(ticketId: string) {
  const [ticket, messages, appointments, documentViews] = await Promise.all([
    db.recoveryTicket.findUniqueOrThrow({
      where: { id: ticketId },
      select: { status: true, assigneeId: true, approvedById: true, confirmedById: true, decisionReason: true, resetTokenHash: true },
    }),
    db.ticketMessage.count({ where: { ticketId } }),
    db.videoAppointment.count({ where: { ticketId } }),
    db.auditEvent.count({ where: { action: 'document.viewed', data: { path: ['ticketId'], equals: ticketId } } }),
  ]);
  return { ticket, messages, appointments, documentViews };
}

/** Refused by the app itself (runAction or the console's form state), never by a crash. */
function expectRefused(answer: ServerActionAnswer, code?: string) {
  expect(answer.status, answer.text).toBeLessThan(500);
  const result = answer.result as { ok?: boolean; error?: { code?: string }; message?: string } | undefined;
  expect(result?.ok, answer.text).toBe(false);
  if (code) expect(result?.error?.code).toBe(code);
  expect(answer.text).not.toContain('Something went wrong on our side');
}

/** A console action without a console session: Next's redirect to the sign-in, the action not run. */
function expectSentToSignIn(answer: Awaited<ReturnType<typeof replayServerAction>>) {
  expect(answer.status, answer.text).toBeLessThan(400);
  expect(answer.response.headers()['x-action-redirect']).toMatch(/^\/console\/signin;/);
  expect(answer.result).toBeUndefined();
}

// ───────────────────────────── Routes that take an id ─────────────────────────────

test.describe('IDOR: pages and route handlers that take an id', () => {
  test('console ticket pages, document files and the host API answer only the principals allowed', async ({ browser, playwright }) => {
    test.slow();
    const holder = await accountWithAuthenticator();
    const agent = await consoleAgent('AGENT');
    const colleague = await consoleAgent('AGENT');
    const mine = await recoveryTicket({ userId: holder.id, assigneeId: agent.id, document: true });
    const theirs = await recoveryTicket({ assigneeId: colleague.id, document: true });
    const unassigned = await recoveryTicket({ document: true });
    // A high-risk approval waiting for a second person: any other agent may look and confirm (four-eyes).
    const waiting = await recoveryTicket({ assigneeId: colleague.id, riskLevel: 'HIGH', approvedById: colleague.id, document: true });

    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    const agentPage = await signedInAgent(browser, agent);
    const holderPage = await signedInHolder(browser, holder);
    const before = { theirs: await ticketState(theirs.id), unassigned: await ticketState(unassigned.id) };
    const refusalsBefore = await db.auditEvent.count({ where: { action: 'ticket.access_refused', actorId: agent.id } });

    // ── The ticket page ──
    const page = (request: typeof anonymous, id: string) => request.get(`/console/tickets/${id}`, { maxRedirects: 0 });
    // Control: the assignee sees their ticket, and the second reviewer the one waiting for them.
    expect(await (await page(agentPage.request, mine.id)).text()).toContain(mine.reference);
    expect(await (await page(agentPage.request, waiting.id)).text()).toContain(waiting.reference);
    for (const id of [theirs.id, unassigned.id, theirs.id.toUpperCase(), randomUUID(), ...MALFORMED.map(encodeURIComponent), `${mine.id}x`]) {
      const response = await page(agentPage.request, id);
      expect(response.status(), `GET /console/tickets/${id} as an agent it is not assigned to`).toBe(404);
      const text = await response.text();
      for (const other of [theirs, unassigned]) expect(text).not.toContain(other.reference);
    }
    // Signed out, or signed in as an account holder (not an agent): sent to the console sign-in.
    for (const request of [anonymous, holderPage.request]) {
      const response = await page(request, mine.id);
      expect(response.status()).toBe(307);
      expect(response.headers().location).toMatch(/\/console\/signin$/);
      expect(await response.text()).not.toContain(mine.reference);
    }

    // ── Document files ──
    const file = (request: typeof anonymous, ticketId: string, documentId: string) => request.get(`/console/tickets/${ticketId}/documents/${documentId}`, { maxRedirects: 0 });
    const opened = await file(agentPage.request, mine.id, mine.documentId!);
    expect(opened.status()).toBe(200);
    expect(opened.headers()['content-type']).toBe('image/jpeg');
    expect((await file(agentPage.request, waiting.id, waiting.documentId!)).status()).toBe(200);
    // What an id that does not exist gets: an unknown ticket, or a document my own ticket lacks.
    const unknownTicket = await (await file(agentPage.request, randomUUID(), randomUUID())).text();
    const unknownDocument = await (await file(agentPage.request, mine.id, randomUUID())).text();
    expect(unknownTicket).not.toBe(unknownDocument);
    const probes: [string, string][] = [
      [theirs.id, theirs.documentId!], // a colleague's ticket and its document
      [unassigned.id, unassigned.documentId!], // an unassigned ticket: claimable, not viewable
      [mine.id, theirs.documentId!], // my ticket, a document of another ticket
      [mine.id, waiting.documentId!], // my ticket, a document of a ticket I may view
      [theirs.id, mine.documentId!], // a foreign ticket, my document
      [randomUUID(), theirs.documentId!],
      [mine.id, randomUUID()],
      ...MALFORMED.flatMap((bad): [string, string][] => [
        [mine.id, encodeURIComponent(bad)],
        [encodeURIComponent(bad), mine.documentId!],
      ]),
    ];
    for (const [ticketId, documentId] of probes) {
      const response = await file(agentPage.request, ticketId, documentId);
      // The same 404 as for ids that do not exist: nothing to tell a foreign id from an unknown one.
      expect(response.status(), `${ticketId}/${documentId}`).toBe(404);
      expect(response.headers()['content-type']).toContain('application/json');
      expect(await response.text(), `${ticketId}/${documentId}`).toBe(ticketId === mine.id ? unknownDocument : unknownTicket);
    }
    for (const request of [anonymous, holderPage.request]) {
      const response = await file(request, mine.id, mine.documentId!);
      expect(response.status()).toBe(401);
      expect(response.headers()['content-type']).toContain('application/json');
    }

    // Nothing was opened that should not have been, and every refusal is on record (rule 20).
    expect(await ticketState(theirs.id)).toEqual(before.theirs);
    expect(await ticketState(unassigned.id)).toEqual(before.unassigned);
    expect(await db.auditEvent.count({ where: { action: 'ticket.viewed', subjectId: { in: [theirs.id, unassigned.id] } } })).toBe(0);
    expect(await db.auditEvent.count({ where: { action: 'ticket.access_refused', actorId: agent.id } })).toBeGreaterThanOrEqual(refusalsBefore + 10);

    // ── Host API: a host key, never a browser session ──
    const key = await createApiKey({ db, hmacKey: Buffer.from(E2E.hmacKey, 'base64'), name: `idor sweep ${randomBytes(2).toString('hex')}` });
    const revoked = await createApiKey({ db, hmacKey: Buffer.from(E2E.hmacKey, 'base64'), name: `idor sweep revoked ${randomBytes(2).toString('hex')}` });
    await db.apiKey.update({ where: { id: revoked.id }, data: { revokedAt: new Date(Date.now() - 1000) } });
    for (const resource of ['security', 'hold']) {
      const url = (id: string) => `/api/v1/accounts/${id}/${resource}`;
      const bearer = (value: string) => ({ headers: { Authorization: `Bearer ${value}`, 'X-Forwarded-For': IP } });
      const allowed = await anonymous.get(url(holder.id), bearer(key.key));
      expect(allowed.status()).toBe(200);
      expect((await allowed.json()).accountId).toBe(holder.id);

      const noKey = await anonymous.get(url(holder.id));
      expect(noKey.status()).toBe(401);
      const refusal = await noKey.text();
      // A session cookie of an account holder or an agent is not a host key; a revoked or made-up key is no key.
      for (const response of [
        await holderPage.request.get(url(holder.id)),
        await agentPage.request.get(url(holder.id)),
        await anonymous.get(url(holder.id), bearer(revoked.key)),
        await anonymous.get(url(holder.id), bearer(`${key.key.slice(0, -4)}AAAA`)),
        await anonymous.get(url(holder.id), bearer(key.key.split('_').slice(0, 3).join('_'))),
      ]) {
        expect(response.status()).toBe(401);
        expect(await response.text()).toBe(refusal);
      }
      // With the key: an unknown account reads as one with nothing set up (by design: the host learns
      // no ids either), two unknown ids answer alike, and a malformed id is a validation error.
      const unknownAnswer = async () => {
        const id = randomUUID();
        const response = await anonymous.get(url(id), bearer(key.key));
        expect(response.status()).toBe(200);
        return JSON.stringify(await response.json()).replace(id, '<id>');
      };
      const unknown = await unknownAnswer();
      expect(await unknownAnswer()).toBe(unknown);
      expect(unknown).not.toContain('"verified":true');
      for (const bad of [...MALFORMED, `${holder.id}x`, '%00']) {
        const response = await anonymous.get(url(encodeURIComponent(bad)), bearer(key.key));
        expect(response.status(), `${resource} for ${bad}`).toBe(422);
        expect(await response.text()).not.toContain(holder.email);
      }
    }
    await anonymous.dispose();
  });
});

// ───────────────────────────── Account holders' server actions ─────────────────────────────

test.describe('IDOR: account holders’ server actions', () => {
  test('passkeys, devices, the authenticator and approvals of another holder stay untouched', async ({ browser, playwright }) => {
    test.slow();
    const hmacKey = Buffer.from(E2E.hmacKey, 'base64');
    const a = await accountWithAuthenticator();
    const b = await accountWithAuthenticator();
    const [aLaptop] = [await storedPasskey(a.id, 'A laptop'), await storedPasskey(a.id, 'A key')];
    const [bLaptop, bKey] = [await storedPasskey(b.id, 'B laptop'), await storedPasskey(b.id, 'B key')];
    const aOldPhone = await createTrustedDevice({ db, hmacKey, userId: a.id, name: 'A old phone' });
    const bPhone = await createTrustedDevice({ db, hmacKey, userId: b.id, name: 'B phone' });
    // B is half-way through linking a new authenticator app, whose codes the attacker can compute.
    const bSecret = randomBytes(20);
    const bPending = await db.authenticator.create({
      data: { userId: b.id, encryptedSecret: seal(Buffer.from(E2E.encryptionKey, 'base64'), bSecret, `totp:user:${b.id}`) },
      select: { id: true },
    });
    // Reset requests waiting for a signed-in device's decision, one for each account, with one number.
    const aApproval = await pendingApproval(a.id);
    const bApproval = await pendingApproval(b.id);

    /** Everything of B's (and A's) that the actions below could change. */
    const state = async (userId: string) => ({
      passkeys: await db.passkeyCredential.findMany({ where: { userId }, select: { id: true, name: true }, orderBy: { id: 'asc' } }),
      devices: await db.trustedDevice.findMany({ where: { userId }, select: { id: true, revokedAt: true }, orderBy: { id: 'asc' } }),
      sessions: await db.session.count({ where: { userId, revokedAt: null } }),
      authenticators: await db.authenticator.findMany({ where: { userId }, select: { id: true, confirmedAt: true }, orderBy: { id: 'asc' } }),
      approvals: await db.verificationChallenge.findMany({ where: { userId, channel: 'TRUSTED_DEVICE' }, select: { id: true, approvedAt: true, deniedAt: true } }),
      holds: await db.securityHold.count({ where: { userId } }),
    });
    const bBefore = await state(b.id);

    const page = await signedInHolder(browser, a);
    await hydrated(page.getByRole('button', { name: 'Rename A laptop' }));
    const aBefore = await state(a.id);
    const targets = [bLaptop.id, randomUUID(), ...MALFORMED];
    const passkeyRow = (name: string) => page.getByRole('region', { name: 'Passkeys' }).getByRole('listitem').filter({ hasText: name });

    // ── Rename ──
    for (const target of targets) {
      if (!(await page.getByLabel('New name').isVisible())) await page.getByRole('button', { name: 'Rename A laptop' }).click();
      await page.getByLabel('New name').fill('Taken over');
      expectRefused(await tamperServerAction(page, aLaptop.id, target, page.getByRole('button', { name: 'Save name' })), 'not_found');
    }
    // ── Delete (the account has two, so deleting one would be allowed) ──
    for (const target of [bKey.id, randomUUID(), ...MALFORMED]) {
      await page.getByRole('button', { name: 'Delete A laptop' }).click();
      expectRefused(await tamperServerAction(page, aLaptop.id, target, page.getByRole('button', { name: 'Delete passkey' })), 'not_found');
    }
    // ── "I don't recognise this passkey" (would end B's sessions and start a hold) ──
    for (const target of targets) {
      await passkeyRow('A laptop').getByRole('button', { name: "I don't recognise this passkey" }).click();
      expectRefused(await tamperServerAction(page, aLaptop.id, target, page.getByRole('button', { name: 'Remove and secure my account' })), 'not_found');
    }
    // ── Signing out a device ──
    for (const target of [bPhone.device.id, randomUUID(), ...MALFORMED]) {
      expectRefused(await tamperServerAction(page, aOldPhone.device.id, target, page.getByRole('button', { name: 'Sign out A old phone' })), 'not_found');
    }
    // ── Confirming an authenticator app: B's pending one, with a code that is right for it ──
    await page.getByRole('button', { name: 'Replace authenticator' }).click();
    await expect(page.getByTestId('setup-key')).toBeVisible();
    const aPending = await db.authenticator.findFirstOrThrow({ where: { userId: a.id, confirmedAt: null }, select: { id: true } });
    for (const target of [bPending.id, randomUUID(), ...MALFORMED]) {
      await page.getByLabel('Enter the code the app shows').fill(totp(bSecret, { time: new Date() }));
      expectRefused(await tamperServerAction(page, aPending.id, target, page.getByRole('button', { name: 'Confirm and link' })));
    }

    // ── Deciding a device approval (A's signed-in browser, B's reset request) ──
    await page.goto('/account/approvals');
    await expect(page.getByText('Someone is asking to replace the passkeys on your account with a new one')).toBeVisible();
    for (const target of [bApproval.id, randomUUID(), ...MALFORMED]) {
      expectRefused(await tamperServerAction(page, aApproval.id, target, page.getByRole('button', { name: `Approve with number ${aApproval.approvalNumber}` })), 'conflict');
      expectRefused(await tamperServerAction(page, aApproval.id, target, page.getByRole('button', { name: "It wasn't me — deny" })), 'conflict');
    }

    // B's things are exactly as they were; so are A's (every request carried the other id).
    expect(await state(b.id)).toEqual(bBefore);
    expect({ ...(await state(a.id)), authenticators: aBefore.authenticators }).toEqual(aBefore);
    expect((await sinkMessages()).emails.filter((m) => m.to.includes(b.email))).toEqual([]);

    // ── Controls: the untampered forms work, and their captured requests replayed signed out do not ──
    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    await page.goto('/account/security');
    await hydrated(page.getByRole('button', { name: 'Rename A laptop' }));
    await page.getByRole('button', { name: 'Rename A laptop' }).click();
    await page.getByLabel('New name').fill('A laptop (work)');
    const rename = await captureServerAction(page, page.getByRole('button', { name: 'Save name' }));
    expect(rename.answer.result).toEqual({ ok: true, data: true });
    expectRefused(await replayServerAction(anonymous, rename.request, { body: rewriteBody(rename.request, 'A laptop (work)', 'Signed out') }), 'unauthorized');
    expect((await db.passkeyCredential.findUniqueOrThrow({ where: { id: aLaptop.id } })).name).toBe('A laptop (work)');

    const signOut = await captureServerAction(page, page.getByRole('button', { name: 'Sign out A old phone' }));
    expect((signOut.answer.result as { ok: boolean }).ok).toBe(true);
    expectRefused(await replayServerAction(anonymous, signOut.request, { body: rewriteBody(signOut.request, aOldPhone.device.id, bPhone.device.id) }), 'unauthorized');

    await page.goto('/account/approvals');
    const approve = await captureServerAction(page, page.getByRole('button', { name: `Approve with number ${aApproval.approvalNumber}` }));
    expect(approve.answer.result).toEqual({ ok: true, data: 'approved' });
    // Without A's session and device cookies, B's request cannot be decided either.
    expectRefused(await replayServerAction(anonymous, approve.request, { body: rewriteBody(approve.request, aApproval.id, bApproval.id) }), 'unauthorized');

    expect(await state(b.id)).toEqual(bBefore);
    await anonymous.dispose();
  });
});

// ───────────────────────────── The console's server actions ─────────────────────────────

test.describe('IDOR: console ticket and admin actions', () => {
  test('ticket actions with a colleague’s, an unknown or a malformed ticket id change nothing', async ({ browser, playwright }) => {
    test.slow();
    const holder = await accountWithAuthenticator();
    const agent = await consoleAgent('AGENT');
    const colleague = await consoleAgent('AGENT');
    const supervisor = await consoleAgent('SUPERVISOR');
    // A lost passkey (the person still has the authenticator app), so a video call can be booked too.
    const mine = await recoveryTicket({ userId: holder.id, contactEmail: holder.email, assigneeId: agent.id, type: 'PASSKEY_RESET' });
    const theirs = await recoveryTicket({ assigneeId: colleague.id });
    const unassigned = await recoveryTicket({ status: 'SUBMITTED' });
    const waiting = await recoveryTicket({ assigneeId: colleague.id, riskLevel: 'HIGH', approvedById: colleague.id });
    const approvedByMe = await recoveryTicket({ assigneeId: agent.id, riskLevel: 'HIGH', approvedById: agent.id });
    const watched = [mine, theirs, unassigned, waiting, approvedByMe];
    const snapshot = async () => Object.fromEntries(await Promise.all(watched.map(async (t) => [t.reference, await ticketState(t.id)] as const)));
    const before = await snapshot();

    const page = await signedInAgent(browser, agent);
    await page.goto(`/console/tickets/${mine.id}`);
    await hydrated(page.getByLabel('Internal note'));
    const result = page.getByRole('main').getByRole('alert');

    // Each of the ticket page's forms, filled in as for a real decision, sent with another id.
    const forms: { name: string; fill: () => Promise<void>; submit: string }[] = [
      { name: 'note', fill: () => page.getByLabel('Internal note').fill('Checked the selfie.'), submit: 'Add note' },
      { name: 'request info', fill: () => page.getByLabel('What do you need from the person?').fill('Please send the back of your ID.'), submit: 'Request more information' },
      { name: 'schedule call', fill: () => page.getByLabel('Start (UTC)').fill('10:00'), submit: 'Schedule video call' },
      { name: 'approve', fill: () => page.getByLabel('Approval note (optional)').fill('Looks right.'), submit: 'Approve and reset' },
      {
        name: 'reject',
        fill: async () => {
          if (!(await page.getByLabel('Reason', { exact: true }).isVisible())) await page.getByText('Reject with a reason').click();
          await page.getByLabel('Reason', { exact: true }).selectOption({ index: 1 });
          await page.getByLabel('Note for the file').fill('Document does not match.');
          // Rejecting asks for confirmation first.
          const reject = page.getByRole('button', { name: 'Reject request', exact: true });
          if (await reject.isVisible()) await reject.click();
        },
        submit: 'Yes, reject request',
      },
    ];
    for (const form of forms) {
      for (const [target, message] of [
        [theirs.id, NOT_FOUND],
        [unassigned.id, NOT_FOUND],
        [randomUUID(), NOT_FOUND],
        [MALFORMED[0]!, NOT_FOUND],
        [MALFORMED[1]!, NOT_FOUND],
        // A ticket this agent may look at as a second reviewer, but not work on.
        [waiting.id, 'only its assignee or a supervisor can work on it'],
      ] as const) {
        await form.fill();
        const answer = await tamperServerAction(page, mine.id, target, page.getByRole('button', { name: form.submit }));
        expectRefused(answer);
        expect((answer.result as { message: string }).message, `${form.name} → ${target}`).toContain(message);
        await expect(result.filter({ hasText: message }).first()).toBeVisible();
      }
    }

    // Claiming from the queue: an unassigned ticket's button, sent with a colleague's ticket.
    await page.goto('/console?assignee=unassigned&sort=newest');
    for (const target of [theirs.id, waiting.id, randomUUID(), MALFORMED[0]!]) {
      expectRefused(await tamperServerAction(page, unassigned.id, target, page.getByRole('button', { name: `Claim ${unassigned.reference}` })));
    }

    // Confirming: allowed on the colleague's waiting approval, so the form is there; sent for the
    // agent's own first approval (nobody confirms their own) or a ticket not waiting for one.
    await page.goto(`/console/tickets/${waiting.id}`);
    const own = await tamperServerAction(page, waiting.id, approvedByMe.id, page.getByRole('button', { name: 'Confirm approval' }));
    expectRefused(own);
    expect((own.result as { message: string }).message).toContain('You gave the first approval');
    for (const target of [theirs.id, randomUUID(), MALFORMED[1]!]) {
      expectRefused(await tamperServerAction(page, waiting.id, target, page.getByRole('button', { name: 'Confirm approval' })));
    }

    expect(await snapshot()).toEqual(before);
    expect((await sinkMessages()).emails.filter((m) => watched.some((t) => m.to.includes(t.contactEmail)))).toEqual([]);

    // Assigning is for supervisors: the supervisor's own request, replayed with the agent's cookies
    // (the agent is the assignee, so may view the ticket and is told why not), and signed out.
    const supervisorPage = await signedInAgent(browser, supervisor);
    await supervisorPage.goto(`/console/tickets/${mine.id}`);
    await hydrated(supervisorPage.getByLabel('Assign to'));
    await supervisorPage.getByLabel('Assign to').selectOption(agent.id);
    const assign = await captureServerAction(supervisorPage, supervisorPage.getByRole('button', { name: 'Assign', exact: true }));
    expect((assign.answer.result as { ok: boolean }).ok).toBe(true);
    const toColleague = rewriteBody(assign.request, agent.id, colleague.id).toString('utf8');
    const assignBody = (ticketId: string) => Buffer.from(toColleague.replaceAll(mine.id, ticketId));
    const asAgent = await replayServerAction(page.context().request, assign.request, { body: assignBody(mine.id) });
    expectRefused(asAgent);
    expect((asAgent.result as { message: string }).message).toBe('Only a supervisor can assign requests.');
    for (const ticketId of [theirs.id, unassigned.id]) {
      expect(((await replayServerAction(page.context().request, assign.request, { body: assignBody(ticketId) })).result as { message: string }).message).toBe(NOT_FOUND);
    }
    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    const holderPage = await signedInHolder(browser, holder);
    for (const request of [anonymous, holderPage.request]) expectSentToSignIn(await replayServerAction(request, assign.request, { body: assignBody(unassigned.id) }));

    // A real note by the agent works; the same request from a deactivated agent does not.
    await page.goto(`/console/tickets/${mine.id}`);
    await hydrated(page.getByLabel('Internal note'));
    await page.getByLabel('Internal note').fill('Control note.');
    const note = await captureServerAction(page, page.getByRole('button', { name: 'Add note' }));
    expect((note.answer.result as { ok: boolean }).ok).toBe(true);
    await db.agent.update({ where: { id: agent.id }, data: { active: false, sessionVersion: { increment: 1 } } });
    const messages = await db.ticketMessage.count({ where: { ticketId: mine.id } });
    expectSentToSignIn(await replayServerAction(page.context().request, note.request));
    expect(await db.ticketMessage.count({ where: { ticketId: mine.id } })).toBe(messages);

    const after = await snapshot();
    for (const t of [theirs, unassigned, waiting, approvedByMe]) expect(after[t.reference], t.reference).toEqual(before[t.reference]);
    await anonymous.dispose();
  });

  test('agent administration and host keys: only admins, only agents and keys that exist', async ({ browser, playwright }) => {
    test.slow();
    const admin = await consoleAgent('ADMIN');
    const supervisor = await consoleAgent('SUPERVISOR');
    const first = await consoleAgent('AGENT');
    const second = await consoleAgent('AGENT');
    const hmacKey = Buffer.from(E2E.hmacKey, 'base64');
    const kept = await createApiKey({ db, hmacKey, name: `Kept ${randomBytes(2).toString('hex')}`, createdById: admin.id });
    const spare = await createApiKey({ db, hmacKey, name: `Spare ${randomBytes(2).toString('hex')}`, createdById: admin.id });
    const agents = () => db.agent.findMany({ where: { id: { in: [admin.id, supervisor.id, first.id, second.id] } }, select: { id: true, role: true, active: true, sessionVersion: true }, orderBy: { id: 'asc' } });
    const keyState = (id: string) => db.apiKey.findUniqueOrThrow({ where: { id }, select: { revokedAt: true } });

    const page = await signedInAgent(browser, admin);
    await page.goto('/console/admin');
    const row = (agent: ConsoleAgent) => page.getByRole('row').filter({ hasText: agent.email });

    // Control: the admin promotes the first agent.
    await hydrated(row(first).getByLabel(`Role for ${first.name}`, { exact: true }));
    await row(first).getByLabel(`Role for ${first.name}`, { exact: true }).selectOption('SUPERVISOR');
    const promote = await captureServerAction(page, row(first).getByRole('button', { name: `Save role for ${first.name}` }));
    expect(promote.answer.result).toMatchObject({ ok: true, data: { role: 'SUPERVISOR', changed: true } });
    const before = await agents();

    // The same form with an agent that does not exist, a malformed id, or the admin's own id.
    await row(first).getByLabel(`Role for ${first.name}`, { exact: true }).selectOption('AGENT');
    for (const target of [randomUUID(), ...MALFORMED]) {
      expectRefused(await tamperServerAction(page, first.id, target, row(first).getByRole('button', { name: `Save role for ${first.name}` })), 'not_found');
    }
    expectRefused(await tamperServerAction(page, first.id, admin.id, row(first).getByRole('button', { name: `Save role for ${first.name}` })), 'forbidden');
    expectRefused(await tamperServerAction(page, second.id, admin.id, row(second).getByRole('button', { name: `Deactivate ${second.name}` })), 'forbidden');
    expectRefused(await tamperServerAction(page, second.id, randomUUID(), row(second).getByRole('button', { name: `Deactivate ${second.name}` })), 'not_found');

    // Revoking a key that does not exist (or is not a key id).
    const keyRow = page.getByRole('row').filter({ hasText: kept.prefix });
    for (const target of [randomUUID(), ...MALFORMED]) {
      await keyRow.getByRole('button', { name: new RegExp(`^Revoke key ${kept.prefix}`) }).click();
      expectRefused(await tamperServerAction(page, kept.id, target, keyRow.getByRole('button', { name: `Revoke ${kept.prefix} now` })), 'not_found');
      await keyRow.getByRole('button', { name: 'Cancel' }).click();
    }
    expect(await agents()).toEqual(before);
    expect(await keyState(kept.id)).toEqual({ revokedAt: null });

    // Controls the supervisor and a signed-out caller replay: revoke the spare key, create a key.
    const spareRow = page.getByRole('row').filter({ hasText: spare.prefix });
    await spareRow.getByRole('button', { name: new RegExp(`^Revoke key ${spare.prefix}`) }).click();
    const revoke = await captureServerAction(page, spareRow.getByRole('button', { name: `Revoke ${spare.prefix} now` }));
    expect(revoke.answer.result).toMatchObject({ ok: true });
    const name = `Replayed ${randomBytes(3).toString('hex')}`;
    await page.getByLabel('New key name').fill(name);
    const create = await captureServerAction(page, page.getByRole('button', { name: 'Create key' }));
    expect(create.answer.result).toMatchObject({ ok: true, data: { name } });

    const supervisorPage = await signedInAgent(browser, supervisor);
    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    for (const [request, code] of [
      [supervisorPage.request, 'forbidden'],
      [anonymous, 'unauthorized'],
    ] as const) {
      expectRefused(await replayServerAction(request, promote.request, { body: rewriteBody(promote.request, first.id, second.id) }), code);
      expectRefused(await replayServerAction(request, promote.request, { body: rewriteBody(promote.request, first.id, supervisor.id) }), code);
      expectRefused(await replayServerAction(request, revoke.request, { body: rewriteBody(revoke.request, spare.id, kept.id) }), code);
      expectRefused(await replayServerAction(request, create.request, { body: rewriteBody(create.request, name, `${name} again`) }), code);
    }
    expect(await agents()).toEqual(before);
    expect(await keyState(kept.id)).toEqual({ revokedAt: null });
    expect(await db.apiKey.count({ where: { name: `${name} again` } })).toBe(0);
    await anonymous.dispose();
  });
});

// ───────────────────────────── Ticket ids held in cookies ─────────────────────────────

test.describe('IDOR: the recovery pages take the ticket from a signed cookie', () => {
  test('a status-page or upload grant edited to another ticket opens nothing and adds nothing', async ({ browser, playwright }) => {
    test.slow();
    const email = `status-${randomBytes(4).toString('hex')}@example.com`;
    const mine = await recoveryTicket({ contactEmail: email, status: 'MORE_INFO_REQUESTED' });
    const theirs = await recoveryTicket({ status: 'MORE_INFO_REQUESTED', document: true });
    await db.ticketMessage.create({ data: { ticketId: theirs.id, kind: 'INFO_REQUEST', body: 'A private question for someone else.' } });
    const theirsBefore = async () => ({
      messages: await db.ticketMessage.count({ where: { ticketId: theirs.id } }),
      documents: await db.ticketDocument.count({ where: { ticketId: theirs.id } }),
      status: (await db.recoveryTicket.findUniqueOrThrow({ where: { id: theirs.id }, select: { status: true } })).status,
    });
    const before = await theirsBefore();

    // The person opens their own ticket the real way: reference, email, the emailed code.
    const page = await newPage(browser);
    await page.goto('/recover/status');
    await page.getByLabel('Reference number').fill(mine.reference);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(email));
    await page.getByRole('button', { name: 'Open my request' }).click();
    await expect(page.getByRole('heading', { name: mine.reference })).toBeVisible();

    await hydrated(page.getByLabel('Your answer'));
    await page.getByLabel('Your answer').fill('My own answer.');
    const reply = await captureServerAction(page, page.getByRole('button', { name: 'Send answer' }));
    expect(reply.answer.result).toMatchObject({ ok: true });
    const extra = page.getByLabel('Choose a file for an extra image for your request');
    await hydrated(extra);
    const upload = await captureServerAction(page, async () => extra.setInputFiles({ name: 'extra.jpg', mimeType: 'image/jpeg', buffer: await jpeg(1000, 1000) }));
    expect(upload.answer.result).toMatchObject({ ok: true });

    // The grant is "<ticketId>.<stage>.<expires>.<mac>": swap in another ticket's id, or send a bare id.
    const context = page.context();
    const grant = (await context.cookies()).find((c) => c.name === 'regain_ticket_access')!;
    const [, stage, expires, mac] = grant.value.split('.');
    const forged = [
      `${theirs.id}.${stage}.${expires}.${mac}`,
      `${theirs.id.toUpperCase()}.${stage}.${expires}.${mac}`,
      theirs.id,
      `${randomUUID()}.${stage}.${expires}.${mac}`,
      `${MALFORMED[1]}.${stage}.${expires}.${mac}`,
      `${theirs.id}.${stage}.${Number(expires) + 3600}.${mac}`,
    ];
    for (const value of forged) {
      await context.addCookies([{ ...grant, value }]);
      expectRefused(await replayServerAction(context.request, reply.request), 'conflict');
      expectRefused(await replayServerAction(context.request, upload.request), 'conflict');
      const shown = await (await context.request.get('/recover/status')).text();
      expect(shown).not.toContain(theirs.reference);
      expect(shown).not.toContain('A private question for someone else.');
    }
    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    expectRefused(await replayServerAction(anonymous, reply.request), 'conflict');

    // The upload grant of /recover/documents, the same way.
    const documents = await newPage(browser);
    await documents.goto('/recover/documents');
    await documents.getByRole('radio', { name: /My authenticator app/ }).check();
    const contact = `documents-${randomBytes(4).toString('hex')}@example.com`;
    await documents.getByLabel('Your email address').fill(contact);
    await documents.getByRole('button', { name: 'Continue' }).click();
    await documents.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(contact));
    await documents.getByRole('button', { name: 'Confirm and continue' }).click();
    const frontPicker = documents.getByLabel('Choose a file for the front of your document');
    await hydrated(frontPicker);
    const front = await captureServerAction(documents, async () => frontPicker.setInputFiles({ name: 'front.jpg', mimeType: 'image/jpeg', buffer: await documentFront('s1a') }));
    expect(front.answer.result).toMatchObject({ ok: true });
    const uploadGrant = (await documents.context().cookies()).find((c) => c.name === 'regain_document_ticket')!;
    const [, uploadStage, uploadExpires, uploadMac] = uploadGrant.value.split('.');
    for (const value of [`${theirs.id}.${uploadStage}.${uploadExpires}.${uploadMac}`, theirs.id]) {
      await documents.context().addCookies([{ ...uploadGrant, value }]);
      expectRefused(await replayServerAction(documents.context().request, front.request), 'conflict');
    }

    expect(await theirsBefore()).toEqual(before);
    await anonymous.dispose();
  });
});
