import { randomBytes } from 'node:crypto';
import { type Browser, expect, type Locator, type Page, test } from '@playwright/test';
import fc from 'fast-check';
import { createPrisma, type Db } from '@/lib/db/client';
import { generateReference } from '@/lib/recovery/tickets';
import { accountWithAuthenticator, consoleAgent, consoleSignIn, signIn, storedPasskey } from './accounts';
import { recoveryTicket } from './fixtures';
import { captureServerAction, E2E, hydrated, latestCodeSentTo, type ServerActionAnswer, ownContexts } from './support';

/**
 * Hostile input into every form, in a real browser against the production build (fuzzing;
 * docs/security.md rules 16 and 20). Each form is filled by fast-check with markup, NUL and
 * other control characters, bidirectional overrides, 5,000-character strings, SQL- and
 * template-looking text and unusual graphemes. The browser's own checks (maxlength, pattern,
 * required, input types) are switched off, and the exact string replaces a marker in the request
 * body, so what reaches the server is what an attacker with curl could send. After every
 * submission: no 500, no "Something went wrong", no element or dialog made by the payload, and no
 * partial write. Every property tries NUL, markup, 5,000 characters and a direction override first.
 */

let db: Db;
test.beforeAll(() => {
  db = createPrisma(E2E.databaseUrl);
});
test.afterAll(async () => {
  await db.$disconnect();
});

// Every submission from its own documentation-range address (RFC 5737), so the per-IP limits the
// fuzzing trips never reach the other journeys (which share one address) or each other.
let ipCounter = 0;
const nextIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

const SPECIAL = [
  '<img src=x onerror=alert(document.domain)>',
  '"><svg onload=alert(1)><!--',
  '<script>alert(1)</script>',
  '<iframe src="javascript:alert(1)"></iframe>',
  "' OR '1'='1' --",
  '"; DROP TABLE "User"; --',
  'a\u0000b',
  '\u0000',
  '\u202eexe.txt\u202c',
  '\u2066\u2067\u200f',
  '{{7*7}}${7*7}<%= 7*7 %>',
  '../../../etc/passwd',
  '%00%0d%0a',
  'line\r\nInjected-Header: yes',
  '👩‍👩‍👧‍👦🏳️‍🌈 é̃ 𝕳 \ud800',
  'x'.repeat(5000),
  ' ',
];

/** One hostile string: a known-bad one, any code points, graphemes, or a bad one inside noise. */
const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...SPECIAL)).map(([noise, bad]) => `${noise}${bad}${noise}`) },
);
/** For address fields: sometimes the hostile part sits inside something that looks like an address. */
const hostileAddress = fc.oneof(hostile, hostile.map((bad) => `${bad}@example.com`), hostile.map((bad) => `someone@${bad}.example`));

/** The worst of SPECIAL, tried first in every property (in every argument at once). */
// "$'" and "$@1" are also replacement patterns and React reply references: they must reach the
// server as typed and come back as a calm refusal.
const ALWAYS = ['a\u0000b', '<img src=x onerror=alert(document.domain)>', 'x'.repeat(5000), '\u202eexe.txt\u202c', "x$' OR $& $@1"];

/**
 * Small runs (every one is a real browser round trip): the ALWAYS values first, then random ones.
 * No shrinking: a counterexample is reported as found.
 */
function runs<T extends unknown[]>(example: (value: string) => T) {
  return { numRuns: ALWAYS.length + 4, endOnFailure: true, examples: ALWAYS.map(example) };
}
const one = (value: string): [string] => [value];
const two = (value: string): [string, string] => [value, value];
const three = (value: string): [string, string, string] => [value, value, value];

// Elements a payload would create if the markup reached the DOM unescaped.
const INJECTED = 'img[src="x"], svg[onload], iframe, [onerror], [onload], [onfocus], marquee';

type Watch = { problems: string[] };

const newPage = ownContexts();

/** A page whose every dialog, uncaught script error and 5xx answer is recorded as a problem. */
async function hostilePage(browser: Browser): Promise<Page & { watch: Watch }> {
  const page = (await newPage(browser)) as Page & { watch: Watch };
  page.watch = { problems: [] };
  page.on('dialog', (dialog) => {
    page.watch.problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => page.watch.problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) page.watch.problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  await rotateIp(page);
  return page;
}

async function rotateIp(page: Page) {
  await page.setExtraHTTPHeaders({ 'X-Forwarded-For': nextIp() });
}

/** Lifts the browser's own limits from a field, so the server is the one that has to cope. */
async function relax(field: Locator) {
  await hydrated(field);
  await field.evaluate((el) => {
    for (const name of ['maxlength', 'minlength', 'pattern', 'required', 'min', 'max', 'step']) el.removeAttribute(name);
    const form = (el as HTMLInputElement).form;
    if (form) form.noValidate = true;
  });
}

/**
 * Fills each field (an input, textarea, select or radio) with a marker, clicks `submit`, and
 * swaps each marker for its hostile value in the server action's body on the way out.
 */
async function submitHostile(page: Page, fields: [Locator, string][], submit: Locator | (() => Promise<unknown>)): Promise<ServerActionAnswer> {
  const markers = fields.map((_, i) => `HOSTILE${i}X${randomBytes(4).toString('hex')}`);
  for (const [i, [field]] of fields.entries()) {
    await relax(field);
    const kind = await field.evaluate((el) => (el instanceof HTMLSelectElement ? 'select' : el instanceof HTMLInputElement ? el.type : 'text'));
    if (kind === 'select') {
      await field.evaluate((el, marker) => {
        const select = el as HTMLSelectElement;
        select.add(new Option(marker, marker));
        select.value = marker;
      }, markers[i]!);
    } else if (kind === 'radio' || kind === 'checkbox') {
      await field.evaluate((el, marker) => ((el as HTMLInputElement).value = marker), markers[i]!);
      await field.check();
    } else if (['text', 'email', 'search', 'password', 'tel', 'url'].includes(kind)) {
      await field.fill(markers[i]!);
    } else {
      // A date, time or number input cannot hold text (and React puts its type back on every
      // input event), so a text field of the same name takes its place in the form.
      await field.evaluate((el, marker) => {
        const input = el as HTMLInputElement;
        const stand = Object.assign(document.createElement('input'), { type: 'hidden', name: input.name, value: marker });
        input.removeAttribute('name');
        input.after(stand);
      }, markers[i]!);
    }
  }
  await rotateIp(page);
  const { answer } = await captureServerAction(page, submit, (body) => {
    let text = body.toString('utf8');
    // Arguments of a direct call travel as JSON text; form fields as multipart parts.
    const json = !text.startsWith('--');
    for (const [i, [, value]] of fields.entries()) {
      if (!text.includes(markers[i]!)) throw new Error(`field ${i} did not reach the request body:\n${text.slice(0, 3000)}`);
      // A function, so "$'" or "$&" in the hostile value go in as typed (a string would be a replacement pattern).
      // As an argument, a browser sends a string that starts with "$" as "$$…" (React's reply encoding);
      // sent raw it would be read as a reference by React before any of our code runs.
      const typed = json ? JSON.stringify(value.startsWith('$') ? `$${value}` : value).slice(1, -1) : value;
      text = text.replaceAll(markers[i]!, () => typed);
    }
    return Buffer.from(text, 'utf8');
  });
  await settled(page);
  return answer;
}

/** Lets React commit what the answer changed before the page is inspected. */
async function settled(page: Page) {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

/** The checks after every hostile submission. */
async function expectCalm(page: Page & { watch: Watch }, answer: ServerActionAnswer | undefined, sent: unknown) {
  const what = `for ${JSON.stringify(sent).slice(0, 300)}`;
  if (answer) {
    expect(answer.status, `${what}\n${answer.text.slice(0, 500)}`).toBeLessThan(500);
    expect(answer.text, what).not.toContain('"code":"internal"');
    expect(answer.text, what).not.toContain('Something went wrong on our side');
  }
  await expect(page.locator(INJECTED), what).toHaveCount(0);
  await expect(page.getByText('Something went wrong on our side'), what).toHaveCount(0);
  expect(page.watch.problems, what).toEqual([]);
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const resultOf = (answer: ServerActionAnswer) => answer.result as { ok?: boolean; message?: string; error?: { code: string } } | undefined;

// ───────────────────────────── Public forms ─────────────────────────────

test.describe('hostile input into the public forms', () => {
  test('sign-in for account holders and for the console', async ({ browser }) => {
    test.slow();
    const page = await hostilePage(browser);
    for (const [path, email, button] of [
      ['/signin', 'Email address', 'Sign in'],
      ['/console/signin', 'Work email', 'Sign in to the console'],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(hostileAddress, hostile, hostile, async (address, password, code) => {
          await page.goto(path);
          const answer = await submitHostile(
            page,
            [
              [page.getByLabel(email), address],
              [page.getByLabel('Password'), password],
              [page.getByLabel('Authenticator code'), code],
            ],
            page.getByRole('button', { name: button, exact: true }),
          );
          await expectCalm(page, answer, { address, password, code });
          expect(resultOf(answer)?.message).toBe('The email, password or code is not right.');
          await expect(page).toHaveURL(new RegExp(`${path}$`));
        }),
        runs(three),
      );
    }
  });

  test('recovery start and the code entry', async ({ browser }) => {
    test.slow();
    const page = await hostilePage(browser);
    await fc.assert(
      fc.asyncProperty(hostileAddress, async (identifier) => {
        await page.goto('/recover');
        const answer = await submitHostile(page, [[page.getByLabel('Email address or phone number'), identifier]], page.getByRole('button', { name: 'Continue' }));
        await expectCalm(page, answer, identifier);
      }),
      runs(one),
    );

    // A code step for an address with no account (a decoy challenge: nothing is sent anywhere).
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').fill(`nobody-${randomBytes(4).toString('hex')}@example.com`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/recover\/verify$/);
    await fc.assert(
      fc.asyncProperty(hostile, async (code) => {
        await page.goto('/recover/verify');
        const field = page.getByLabel('6-digit code');
        // Five wrong codes close the request; after that the page offers to start again instead.
        if (!(await field.isVisible())) return;
        const answer = await submitHostile(page, [[field, code]], page.getByRole('button', { name: 'Verify' }));
        await expectCalm(page, answer, code);
        expect(resultOf(answer)?.ok).toBe(false);
      }),
      runs(one),
    );
  });

  test('identity documents: what was lost and the contact address', async ({ browser }) => {
    test.slow();
    const page = await hostilePage(browser);
    await fc.assert(
      fc.asyncProperty(hostileAddress, fc.boolean(), hostile, async (email, tamperLost, lost) => {
        // A fresh visitor each time: an accepted address moves this browser on to the photos step.
        await page.context().clearCookies();
        await page.goto('/recover/documents');
        await page.getByRole('radio', { name: /My authenticator app/ }).check();
        const tickets = await db.recoveryTicket.count();
        const fields: [Locator, string][] = [[page.getByLabel('Your email address'), email]];
        if (tamperLost) fields.push([page.getByRole('radio', { name: /My authenticator app/ }), lost]);
        const answer = await submitHostile(page, fields, page.getByRole('button', { name: 'Continue' }));
        await expectCalm(page, answer, { email, lost: tamperLost ? lost : 'authenticator' });
        // Refused means refused: no ticket was opened half-way.
        if (resultOf(answer)?.ok === false) expect(await db.recoveryTicket.count()).toBe(tickets);
      }),
      runs((value) => [value, true, value]),
    );
  });

  test('status page: reference and email, the code, and a reply', async ({ browser }) => {
    test.slow();
    const page = await hostilePage(browser);
    await fc.assert(
      fc.asyncProperty(hostile, hostileAddress, async (reference, email) => {
        await page.context().clearCookies();
        await page.goto('/recover/status');
        const answer = await submitHostile(
          page,
          [
            [page.getByLabel('Reference number'), reference],
            [page.getByLabel('Email address'), email],
          ],
          page.getByRole('button', { name: 'Send me a code' }),
        );
        await expectCalm(page, answer, { reference, email });
      }),
      runs(two),
    );

    // The code step, for a reference that matches nothing (no mail goes out).
    await page.context().clearCookies();
    await page.goto('/recover/status');
    await page.getByLabel('Reference number').fill(generateReference());
    await page.getByLabel('Email address').fill(`nobody-${randomBytes(4).toString('hex')}@example.com`);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    await fc.assert(
      fc.asyncProperty(hostile, async (code) => {
        await page.goto('/recover/status');
        const field = page.getByLabel('6-digit code from the email');
        if (!(await field.isVisible())) return;
        const answer = await submitHostile(page, [[field, code]], page.getByRole('button', { name: 'Open my request' }));
        await expectCalm(page, answer, code);
        expect(resultOf(answer)?.ok).toBe(false);
      }),
      runs(one),
    );

    // A reply on a real ticket, opened the real way.
    const email = `fuzz-status-${randomBytes(4).toString('hex')}@example.com`;
    const ticket = await recoveryTicket({ contactEmail: email, status: 'MORE_INFO_REQUESTED' });
    await page.context().clearCookies();
    await page.goto('/recover/status');
    await page.getByLabel('Reference number').fill(ticket.reference);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(email));
    await page.getByRole('button', { name: 'Open my request' }).click();
    await expect(page.getByRole('heading', { name: ticket.reference })).toBeVisible();
    await fc.assert(
      fc.asyncProperty(hostile, async (body) => {
        await page.goto('/recover/status');
        const replies = () => db.ticketMessage.findMany({ where: { ticketId: ticket.id, kind: 'CUSTOMER_REPLY' }, select: { body: true } });
        const before = await db.ticketMessage.count({ where: { ticketId: ticket.id } });
        const earlier = await replies();
        const answer = await submitHostile(page, [[page.getByLabel(/^(Your answer|Write to our security team)$/), body]], page.getByRole('button', { name: /^Send (answer|message)$/ }));
        await expectCalm(page, answer, body);
        const after = await replies();
        if (resultOf(answer)?.ok) {
          // Stored once, as plain text without control or direction-override characters.
          expect(after).toHaveLength(earlier.length + 1);
          expect(after.at(-1)!.body).not.toMatch(CONTROL);
          expect(after.at(-1)!.body).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
        } else {
          expect(await db.ticketMessage.count({ where: { ticketId: ticket.id } })).toBe(before);
        }
      }),
      runs(one),
    );
  });

  test('video call: the reference and both codes', async ({ browser }) => {
    test.slow();
    const page = await hostilePage(browser);
    await fc.assert(
      fc.asyncProperty(hostile, async (reference) => {
        await page.context().clearCookies();
        await page.goto('/recover/video');
        const answer = await submitHostile(page, [[page.getByLabel('Reference number'), reference]], page.getByRole('button', { name: 'Email me a code' }));
        await expectCalm(page, answer, reference);
      }),
      runs(one),
    );

    await page.context().clearCookies();
    await page.goto('/recover/video');
    await page.getByLabel('Reference number').fill(generateReference());
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect(page.getByLabel('Code from the email')).toBeVisible();
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (emailCode, authenticatorCode) => {
        await page.goto('/recover/video');
        if (!(await page.getByLabel('Code from the email').isVisible())) return;
        const answer = await submitHostile(
          page,
          [
            [page.getByLabel('Code from the email'), emailCode],
            [page.getByLabel('Code from your authenticator app'), authenticatorCode],
          ],
          page.getByRole('button', { name: 'Get my meeting link' }),
        );
        await expectCalm(page, answer, { emailCode, authenticatorCode });
        await expect(page.getByRole('link', { name: /Join the call/ })).toHaveCount(0);
      }),
      runs(two),
    );
  });

  test('help center: the search page and article feedback', async ({ browser }) => {
    test.slow();
    const page = await hostilePage(browser);
    await fc.assert(
      fc.asyncProperty(hostile, async (query) => {
        await rotateIp(page);
        const response = await page.goto(`/search?${new URLSearchParams({ q: query })}`);
        expect(response!.status(), JSON.stringify(query)).toBeLessThan(500);
        await expectCalm(page, undefined, query);
      }),
      runs(one),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (comment) => {
        await page.context().clearCookies();
        await page.goto('/articles/rename-passkey');
        await hydrated(page.getByRole('button', { name: 'No', exact: true }));
        await page.getByRole('button', { name: 'No', exact: true }).click();
        await expect(page.getByText('Thanks. Tell us what was missing, if you like.')).toBeVisible();
        const answer = await submitHostile(page, [[page.getByLabel(/What was missing/), comment]], page.getByRole('button', { name: 'Send feedback' }));
        await expectCalm(page, answer, comment);
      }),
      runs(one),
    );
  });
});

// ───────────────────────────── Signed-in forms ─────────────────────────────

test.describe('hostile input into the signed-in forms', () => {
  test('renaming a passkey', async ({ browser }) => {
    test.slow();
    const account = await accountWithAuthenticator();
    const passkey = await storedPasskey(account.id, 'Laptop');
    const page = await hostilePage(browser);
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        await page.goto('/account/security');
        const before = (await db.passkeyCredential.findUniqueOrThrow({ where: { id: passkey.id } })).name;
        await page.getByRole('region', { name: 'Passkeys' }).getByRole('button', { name: /^Rename / }).click();
        const answer = await submitHostile(page, [[page.getByLabel('New name'), name]], page.getByRole('button', { name: 'Save name' }));
        await expectCalm(page, answer, name);
        const after = (await db.passkeyCredential.findUniqueOrThrow({ where: { id: passkey.id } })).name;
        if (resultOf(answer)?.ok) {
          expect(after).not.toMatch(CONTROL);
          expect(after.length).toBeLessThanOrEqual(60);
        } else {
          expect(after).toBe(before);
        }
      }),
      runs(one),
    );
  });

  /** An agent signed in to the console, a ticket of theirs in review, and what the ticket holds. */
  async function agentOnOwnTicket(browser: Browser) {
    const holder = await accountWithAuthenticator();
    const agent = await consoleAgent('AGENT');
    const ticket = await recoveryTicket({ userId: holder.id, contactEmail: holder.email, assigneeId: agent.id, type: 'PASSKEY_RESET' });
    const state = async () => ({
      ticket: await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true, decisionReason: true, approvedById: true } }),
      messages: await db.ticketMessage.findMany({ where: { ticketId: ticket.id }, select: { id: true, body: true }, orderBy: { createdAt: 'asc' } }),
      appointments: await db.videoAppointment.count({ where: { ticketId: ticket.id } }),
    });
    const page = await hostilePage(browser);
    await consoleSignIn(page, agent);
    const open = async () => {
      await db.recoveryTicket.update({ where: { id: ticket.id }, data: { status: 'IN_REVIEW' } });
      await page.goto(`/console/tickets/${ticket.id}`);
    };
    return { page, state, open };
  }
  type TicketState = Awaited<ReturnType<Awaited<ReturnType<typeof agentOnOwnTicket>>['state']>>;

  /** Refused: nothing changed. Accepted: one message more, stored as clean plain text. */
  const expectCleanWrite = (answer: ServerActionAnswer, before: TicketState, after: TicketState) => {
    if (resultOf(answer)?.ok) {
      expect(after.messages.length).toBeGreaterThan(before.messages.length);
      for (const message of after.messages.slice(before.messages.length)) {
        expect(message.body).not.toMatch(CONTROL);
        expect(message.body).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      }
    } else {
      expect(after).toEqual(before);
    }
  };

  test('console: an internal note', async ({ browser }) => {
    test.slow();
    const { page, state, open } = await agentOnOwnTicket(browser);
    await fc.assert(
      fc.asyncProperty(hostile, async (body) => {
        await open();
        const before = await state();
        const answer = await submitHostile(page, [[page.getByLabel('Internal note'), body]], page.getByRole('button', { name: 'Add note' }));
        await expectCalm(page, answer, body);
        expectCleanWrite(answer, before, await state());
      }),
      runs(one),
    );
  });

  test('console: a question to the person', async ({ browser }) => {
    test.slow();
    const { page, state, open } = await agentOnOwnTicket(browser);
    await fc.assert(
      fc.asyncProperty(hostile, async (body) => {
        await open();
        const before = await state();
        const answer = await submitHostile(page, [[page.getByLabel('What do you need from the person?'), body]], page.getByRole('button', { name: 'Request more information' }));
        await expectCalm(page, answer, body);
        expectCleanWrite(answer, before, await state());
      }),
      runs(one),
    );
  });

  test('console: scheduling a video call', async ({ browser }) => {
    test.slow();
    const { page, state, open } = await agentOnOwnTicket(browser);
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, async (date, time, minutes) => {
        await open();
        const before = await state();
        const answer = await submitHostile(
          page,
          [
            [page.getByLabel('Date (UTC)'), date],
            [page.getByLabel('Start (UTC)'), time],
            [page.getByLabel('Length'), minutes],
          ],
          page.getByRole('button', { name: 'Schedule video call' }),
        );
        await expectCalm(page, answer, { date, time, minutes });
        expect(resultOf(answer)?.ok).toBe(false);
        expect(await state()).toEqual(before);
      }),
      runs(three),
    );
  });

  test('console: a rejection reason and its note', async ({ browser }) => {
    test.slow();
    const { page, state, open } = await agentOnOwnTicket(browser);
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (reason, note) => {
        await open();
        const before = await state();
        await page.getByText('Reject with a reason').click();
        const answer = await submitHostile(
          page,
          [
            [page.getByLabel('Reason', { exact: true }), reason],
            [page.getByLabel('Note for the file'), note],
          ],
          async () => {
            // Rejecting asks for confirmation first.
            await page.getByRole('button', { name: 'Reject request', exact: true }).click();
            await page.getByRole('button', { name: 'Yes, reject request' }).click();
          },
        );
        await expectCalm(page, answer, { reason, note });
        // No reason is one of the listed ones, so nothing is rejected, whatever the note says.
        expect(resultOf(answer)?.ok).toBe(false);
        expect(await state()).toEqual(before);
      }),
      runs(two),
    );
  });

  test('console: queue filters, audit search and administration', async ({ browser }) => {
    test.slow();
    const admin = await consoleAgent('ADMIN');
    const other = await consoleAgent('AGENT');
    const page = await hostilePage(browser);
    await consoleSignIn(page, admin);

    // The queue's filter form is a GET too, and its "next page" link carries a cursor the browser
    // can rewrite: a well-formed one may hold any date JavaScript accepts.
    const cursor = (sort: string, key: string) => Buffer.from(JSON.stringify([sort, key, '01a22bd1-cf19-72cc-8e3c-bec3d9d47533'])).toString('base64url');
    const cursors = fc.oneof(
      hostile,
      fc.constantFrom(
        cursor('sla', '-271821-04-20T00:00:00.000Z'),
        cursor('sla', '+275760-09-13T00:00:00.000Z'),
        cursor('newest', '0001-01-01T00:00:00.000Z'),
        cursor('oldest', '9999-12-31T23:59:59.999Z'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.tuple(hostile, hostile, hostile, hostile, fc.constantFrom('sla', 'newest', 'oldest'), cursors), async ([status, type, assignee, risk, sort, after]) => {
        const sent = { status, type, assignee, risk, sort, cursor: after };
        const url = `/console?${new URLSearchParams(sent)}`;
        const direct = await page.request.get(url);
        expect(direct.status(), JSON.stringify(sent).slice(0, 300)).toBeLessThan(500);
        if (direct.status() === 431) return;
        const response = await page.goto(url);
        expect(response!.status()).toBeLessThan(500);
        await expect(page.getByRole('heading', { level: 1, name: 'Recovery queue' })).toBeVisible();
        await expectCalm(page, undefined, sent);
      }),
      runs((value) => [[value, value, value, value, 'sla', cursor('sla', '-271821-04-20T00:00:00.000Z')]]),
    );

    // The search form is a GET: the filters travel in the URL. The event type and the times are
    // often left empty or valid, so the hostile text in the other fields reaches the search itself.
    const optional = (valid: string) => fc.oneof(fc.constant(''), fc.constant(valid), hostile);
    await fc.assert(
      fc.asyncProperty(fc.tuple(hostile, hostile, optional('agent.sign_in'), optional('2020-01-01T00:00'), optional('')), async ([subject, actor, action, from, to]) => {
        const sent = { subject, actor, action, from, to };
        await rotateIp(page);
        const url = `/console/audit?${new URLSearchParams(sent)}`;
        // A URL longer than Node accepts in a request line is refused (431) before the app sees it.
        const direct = await page.request.get(url);
        expect(direct.status(), JSON.stringify(sent).slice(0, 300)).toBeLessThan(500);
        if (direct.status() === 431) return;
        const response = await page.goto(url);
        expect(response!.status()).toBeLessThan(500);
        await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
        await expectCalm(page, undefined, sent);
      }),
      runs((value) => [[value, value, '', '', '']]),
    );

    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        await page.goto('/console/admin');
        const keys = await db.apiKey.count();
        const answer = await submitHostile(page, [[page.getByLabel('New key name'), name]], page.getByRole('button', { name: 'Create key' }));
        await expectCalm(page, answer, name);
        if (resultOf(answer)?.ok) {
          const created = await db.apiKey.findFirstOrThrow({ orderBy: { createdAt: 'desc' }, select: { name: true } });
          expect(created.name).not.toMatch(CONTROL);
          expect(await db.apiKey.count()).toBe(keys + 1);
        } else {
          expect(await db.apiKey.count()).toBe(keys);
        }
      }),
      runs(one),
    );

    await fc.assert(
      fc.asyncProperty(hostile, async (role) => {
        await page.goto('/console/admin');
        const row = page.getByRole('row').filter({ hasText: other.email });
        const answer = await submitHostile(page, [[row.getByLabel(`Role for ${other.name}`, { exact: true }), role]], row.getByRole('button', { name: `Save role for ${other.name}` }));
        await expectCalm(page, answer, role);
        expect(resultOf(answer)?.ok).toBe(false);
        expect((await db.agent.findUniqueOrThrow({ where: { id: other.id }, select: { role: true } })).role).toBe('AGENT');
      }),
      runs(one),
    );
  });
});
