import { randomBytes } from 'node:crypto';
import { type APIRequestContext, expect, test } from '@playwright/test';
import { createPrisma, type Db } from '@/lib/db/client';
import { accountWithAuthenticator, consoleAgent, consoleSignIn, signIn, storedPasskey } from './accounts';
import { pendingApproval, recoveryTicket } from './fixtures';
import { captureServerAction, E2E, hydrated, replayServerAction, rewriteBody, type ServerActionRequest, ownContexts } from './support';

/**
 * CSRF on server actions (docs/security.md rule 16: "state changes only via POST/server actions with
 * origin checking"). Next.js compares a server action's Origin with its Host and refuses a
 * mismatch. Proven here against the production build: a real server action POST is captured from
 * a signed-in page and sent again with the signed-in cookies, once from a foreign Origin (refused,
 * nothing changed) and once from the app's own (it works, so these tests can fail).
 *
 * What Next's check does not cover, by design: a request without Origin (browsers always send one
 * on a POST; other clients are not a CSRF vector), and a Host or X-Forwarded-Host the client forged
 * to match its Origin (a cross-site page cannot set either; in production the proxy in front must
 * overwrite X-Forwarded-Host, since Next compares against it).
 */

const IP = '192.0.2.33';
const FOREIGN = ['https://evil.example', 'null', `http://127.0.0.1:${new URL(E2E.baseUrl).port}`];

let db: Db;
test.beforeAll(() => {
  db = createPrisma(E2E.databaseUrl);
});
test.afterAll(async () => {
  await db.$disconnect();
});

// Browser contexts a test opened for its principals, closed after it.
const newPage = ownContexts(IP);

/**
 * Sends `action` with the page's cookies from each foreign origin (each refused, and `unchanged`
 * checks the database after it), then from the app's own, whose answer is returned.
 */
async function replayFromEachOrigin(
  request: APIRequestContext,
  action: ServerActionRequest,
  bodies: { foreign: Buffer; own: Buffer },
  unchanged: () => Promise<void>,
) {
  for (const origin of FOREIGN) {
    const refused = await replayServerAction(request, action, { origin, body: bodies.foreign });
    // Next aborts before the action runs (a 500 whose body carries no result and no detail).
    expect(refused.status, `Origin: ${origin}`).toBeGreaterThanOrEqual(400);
    expect(refused.result, `Origin: ${origin}`).toBeUndefined();
    await unchanged();
  }
  return replayServerAction(request, action, { body: bodies.own });
}

test.describe('CSRF: server actions refuse a foreign Origin', () => {
  test('an account holder’s passkey rename and signed-in device approval', async ({ browser }) => {
    const account = await accountWithAuthenticator();
    const passkey = await storedPasskey(account.id, 'Laptop');
    // Both show the same number, so a replay aimed at the other one matches it.
    const approvals = await Promise.all([1, 2].map(() => pendingApproval(account.id, { number: 42 })));
    const page = await newPage(browser);
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);

    // A rename: arguments travel as JSON in the body.
    await hydrated(page.getByRole('button', { name: 'Rename Laptop' }));
    await page.getByRole('button', { name: 'Rename Laptop' }).click();
    await page.getByLabel('New name').fill('Laptop 2');
    const rename = await captureServerAction(page, page.getByRole('button', { name: 'Save name' }));
    expect(rename.answer.result).toEqual({ ok: true, data: true });
    const name = async () => (await db.passkeyCredential.findUniqueOrThrow({ where: { id: passkey.id } })).name;
    const own = await replayFromEachOrigin(
      page.context().request,
      rename.request,
      { foreign: rewriteBody(rename.request, 'Laptop 2', 'Renamed by evil.example'), own: rewriteBody(rename.request, 'Laptop 2', 'Laptop 3') },
      async () => expect(await name()).toBe('Laptop 2'),
    );
    expect(own.result).toEqual({ ok: true, data: true });
    expect(await name()).toBe('Laptop 3');

    // Approving a reset from this signed-in device: a server action with bound arguments.
    await page.goto('/account/approvals');
    await expect(page.getByText('Someone is asking to replace the passkeys on your account with a new one')).toHaveCount(2);
    const approve = await captureServerAction(page, page.getByRole('button', { name: 'Approve with number 42' }).first());
    expect(approve.answer.result).toEqual({ ok: true, data: 'approved' });
    const decided = approvals.find((a) => approve.request.body.toString('utf8').includes(a.id))!;
    const pending = approvals.find((a) => a !== decided)!;
    const state = () => db.verificationChallenge.findUniqueOrThrow({ where: { id: pending.id }, select: { approvedAt: true, deniedAt: true } });
    const body = rewriteBody(approve.request, decided.id, pending.id);
    for (const origin of FOREIGN) {
      const refused = await replayServerAction(page.context().request, approve.request, { origin, body });
      expect(refused.status, `Origin: ${origin}`).toBeGreaterThanOrEqual(400);
      expect(refused.result).toBeUndefined();
      expect(await state()).toEqual({ approvedAt: null, deniedAt: null });
    }
    expect((await replayServerAction(page.context().request, approve.request, { body })).result).toEqual({ ok: true, data: 'approved' });
    expect((await state()).approvedAt).not.toBeNull();
  });

  test('an agent’s internal note and an admin’s new host key', async ({ browser }) => {
    const agent = await consoleAgent('ADMIN');
    const ticket = await recoveryTicket({ assigneeId: agent.id });
    const notes = () => db.ticketMessage.findMany({ where: { ticketId: ticket.id }, select: { body: true }, orderBy: { createdAt: 'asc' } });
    const page = await newPage(browser);
    await consoleSignIn(page, agent);

    // A console form (useActionState): the fields travel as multipart form data.
    await page.goto(`/console/tickets/${ticket.id}`);
    await hydrated(page.getByLabel('Internal note'));
    await page.getByLabel('Internal note').fill('First note.');
    const note = await captureServerAction(page, page.getByRole('button', { name: 'Add note' }));
    expect(note.answer.result).toMatchObject({ ok: true });
    const own = await replayFromEachOrigin(
      page.context().request,
      note.request,
      { foreign: rewriteBody(note.request, 'First note.', 'Note from evil.example.'), own: rewriteBody(note.request, 'First note.', 'Second note.') },
      async () => expect(await notes()).toEqual([{ body: 'First note.' }]),
    );
    expect(own.result).toMatchObject({ ok: true });
    expect(await notes()).toEqual([{ body: 'First note.' }, { body: 'Second note.' }]);

    // Creating a host API key: the key would travel back to whoever sent the request.
    await page.goto('/console/admin');
    await hydrated(page.getByLabel('New key name'));
    const name = `CSRF probe ${randomBytes(3).toString('hex')}`;
    await page.getByLabel('New key name').fill(name);
    const create = await captureServerAction(page, page.getByRole('button', { name: 'Create key' }));
    expect(create.answer.result).toMatchObject({ ok: true, data: { name } });
    const created = await replayFromEachOrigin(
      page.context().request,
      create.request,
      { foreign: rewriteBody(create.request, name, `${name} evil`), own: rewriteBody(create.request, name, `${name} again`) },
      async () => expect(await db.apiKey.count({ where: { name: { startsWith: name } } })).toBe(1),
    );
    expect(created.result).toMatchObject({ ok: true, data: { name: `${name} again` } });
    expect(created.text).toMatch(/rg_live_/);
    expect(await db.apiKey.count({ where: { name: { startsWith: name } } })).toBe(2);
    expect(await db.apiKey.count({ where: { name: `${name} evil` } })).toBe(0);
  });
});
