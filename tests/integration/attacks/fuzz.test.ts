import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authenticateApiKey } from '@/lib/platform/api-keys';
import { addInternalNote, getTicketForAgent, rejectTicket, requestInfo } from '@/lib/recovery/console';
import { beginContactRebind, beginReset, checkTrustedDevice, finishContactRebind, getResetView, proveWithAuthenticator, proveWithPasskey, proveWithRecoveryCode, type ResetDeps } from '@/lib/recovery/resets';
import { recoveryCodeStatus, replaceRecoveryCodes } from '@/lib/recovery-codes';
import { beginTicketCompletion, describeTicketCompletion } from '@/lib/recovery/ticket-reset';
import { joinAppointment, requestJoinCode } from '@/lib/recovery/tickets/appointments';
import { getTicketStatusView, openDocumentTicket, replyToTicket, requestStatusCode, verifyStatusCode } from '@/lib/recovery/tickets';
import { signInAgentWithPassword } from '@/lib/sessions/agent-sign-in';
import { completePasskeyRegistration, renameOwnPasskey, signOutDevice, type Actor, type ChangeDeps } from '@/lib/sessions/changes';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { signInWithPasskey, signInWithPassword } from '@/lib/sessions/sign-in';
import { decideApproval } from '@/lib/sessions/approvals';
import { getChallengeView, resendCode, startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { capturingDelivery, collectingScheduler } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { nextIp } from '../../support/factories';
import {
  accountHolder,
  approverFor,
  describeUnexpected,
  isExpectedError,
  keys,
  newAgent,
  outcome,
  publicAnswer,
  rawTicket,
  rowCounts,
  rp,
  sessionFor,
  T0,
  UA,
  verifiedRecoveryChallenge,
} from './harness';

/**
 * Hostile input (docs/security.md rules 1-20 through their entry points): property-based tests
 * with fast-check over the lib use cases the routes and server actions call, fed what a client can
 * send — strings with NUL and other control characters, lone surrogates, markup, id-shaped junk,
 * huge values, and arbitrary JSON where a passkey response goes. For every call:
 *
 *  1. it returns, or throws an AppError or a ZodError (the error mapper's 4xx); anything else is a
 *     500 with a stack trace in the log;
 *  2. no user-facing message (and no page view built from the input) contains markup;
 *  3. a call refused as invalid (422) wrote no row anywhere.
 */

const { db } = await useTestDatabase();
const { hmacKey, encryptionKey } = keys;
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };
const RUNS = { numRuns: 50 } as const;

// ───────────────────────────── Arbitraries ─────────────────────────────

const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202egnp.exe',
  '\r\nSet-Cookie: x=1',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' OR '1'='1' --",
  '${7*7}{{7*7}}',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '%00%2e%2e%2f',
  '../../../etc/passwd',
  '🙂'.repeat(300),
  'x'.repeat(5000),
];
/** Strings that pass a loose /^[0-9a-f-]{36}$/ check without being UUIDs, and near-UUIDs. */
const ID_JUNK = ['-'.repeat(36), '0'.repeat(36), 'ffffffff-ffff-ffff-ffff-fffffffffffff', '00000000-0000-0000-0000-00000000000g', '00000000000000000000000000000000', `${randomUUID()}\u0000`, ` ${randomUUID()}`];

const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
);
const part = fc.oneof(fc.constantFrom('a', 'x.y', '<b>', '"q"', 'a\u0000', '\u202e', 'ü', '%', '{x}'), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }));
/** Email-shaped: enough structure to get past a first check, hostile inside. */
const anyEmail = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(part, part, fc.constantFrom('com', 'co.uk', '<i>', 'c\u0000m', 'c"m')).map(([local, domain, tld]) => `${local}@${domain}.${tld}`) },
  { weight: 1, arbitrary: anyText },
);
const anyId = fc.oneof(fc.uuid(), fc.constantFrom(...ID_JUNK), fc.stringMatching(/^[0-9a-f-]{36}$/), anyText);
const anyCode = fc.oneof(fc.stringMatching(/^\d{6}$/), fc.constantFrom(' 123 456 ', '123-456', '１２３４５６', '12345\u0000', '1e5'), anyText);
const anyReference = fc.oneof(fc.stringMatching(/^RG-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/), fc.constantFrom('rg 2345 6789', 'RG-2345-678\u0000', 'RG-<b>-</b>'), anyText);
/** A User-Agent as a header can carry it: printable ASCII, no control characters. */
const anyUserAgent = fc.oneof(fc.constant(UA), fc.string({ unit: 'grapheme-ascii', maxLength: 400 }), fc.constant('<script>alert(1)</script>'));
const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
/** What a passkey response field can be: JSON of any shape, or WebAuthn-shaped with hostile insides. */
const anyPasskeyResponse = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc
    .record({
      id: fc.oneof(fc.base64String(), anyText),
      challenge: fc.oneof(fc.base64String(), anyText, fc.constant('A'.repeat(5000))),
      clientType: fc.constantFrom('webauthn.get', 'webauthn.create', '<x>'),
      authenticatorData: fc.oneof(fc.base64String().map(b64), anyText),
      signature: fc.oneof(fc.base64String().map(b64), anyText),
      userHandle: fc.option(fc.oneof(anyText, fc.base64String())),
      attestationObject: fc.oneof(fc.base64String().map(b64), anyText),
      transports: fc.oneof(fc.array(anyText, { maxLength: 20 }), fc.anything()),
    })
    .map((r) => ({
      id: r.id,
      rawId: r.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(JSON.stringify({ type: r.clientType, challenge: r.challenge, origin: rp.origin })),
        authenticatorData: r.authenticatorData,
        signature: r.signature,
        attestationObject: r.attestationObject,
        transports: r.transports,
        ...(r.userHandle === null ? {} : { userHandle: r.userHandle }),
      },
      clientExtensionResults: {},
    })),
);

// ───────────────────────────── The three properties ─────────────────────────────

/** Markup anywhere in a user-facing answer: the fixed messages have none, so any is reflected input. */
function markupIn(value: unknown) {
  const text = JSON.stringify(value) ?? '';
  return /[<>]/.test(text) ? text.slice(0, 300) : undefined;
}

/**
 * Runs one call and checks the three properties. `shownToPerson`: the returned value is drawn on a
 * page or returned by a JSON route, so it must not carry markup either.
 */
async function hostileCall(label: string, work: () => Promise<unknown>, options: { shownToPerson?: boolean } = {}) {
  const before = await rowCounts(db);
  const result = await outcome(work);
  if (result.ok) {
    if (options.shownToPerson) {
      const markup = markupIn(result.value);
      if (markup) throw new Error(`${label}: the answer reflects markup from the input: ${markup}`);
    }
    return;
  }
  if (!isExpectedError(result.error)) throw new Error(`${label}: a 500 — ${describeUnexpected(result.error)}`);
  const { body } = publicAnswer(result.error);
  const markup = markupIn(body);
  if (markup) throw new Error(`${label}: the error message reflects markup from the input: ${markup}`);
  if (body.error.code === 'validation_failed') {
    const after = await rowCounts(db);
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    if (changed.length > 0) throw new Error(`${label}: refused as invalid, yet wrote rows to ${changed.join(', ')}`);
  }
}

const check = <Ts extends unknown[]>(prop: fc.IAsyncPropertyWithHooks<Ts>) => fc.assert(prop, RUNS);

function verification() {
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: () => T0, schedule: scheduler.schedule };
  return { deps, capture, scheduler };
}

// ───────────────────────────── Recovery codes ─────────────────────────────

describe('hostile input to recovery codes', () => {
  it('startRecovery(identifier, user agent)', async () => {
    const { deps } = verification();
    await check(fc.asyncProperty(anyEmail, anyUserAgent, async (identifier, userAgent) => {
      await hostileCall(`startRecovery(${JSON.stringify(identifier)})`, () => startRecovery(deps, { identifier, ip: nextIp(), userAgent }), { shownToPerson: true });
    }));
  });

  it('verifyCode(challengeId, code), resendCode and getChallengeView with any challenge id', async () => {
    const { deps } = verification();
    const real = (await startRecovery(deps, { identifier: 'fuzz-target@example.com', ip: nextIp(), userAgent: UA })).challengeId;
    await check(fc.asyncProperty(fc.oneof(fc.constant(real), anyId), anyCode, async (challengeId, code) => {
      const label = (what: string) => `${what}(${JSON.stringify(challengeId)}, ${JSON.stringify(code)})`;
      await hostileCall(label('verifyCode'), () => verifyCode(deps, { challengeId, code, ip: nextIp() }), { shownToPerson: true });
      await hostileCall(label('resendCode'), () => resendCode(deps, { challengeId, channel: 'email', ip: nextIp() }), { shownToPerson: true });
      await hostileCall(label('getChallengeView'), () => getChallengeView(deps, challengeId), { shownToPerson: true });
    }));
  });

  it('decideApproval(device token, challenge id, number) from a signed-in device', async () => {
    const holder = await accountHolder(db);
    const approver = await approverFor(db, holder.user.id);
    const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN));
    await check(fc.asyncProperty(fc.oneof(fc.constant(approver.deviceToken), anyText), anyId, fc.option(anyNumber), async (deviceToken, challengeId, number) => {
      const decision = number === null ? { approve: false as const } : { approve: true as const, number };
      await hostileCall(`decideApproval(${JSON.stringify(deviceToken)}, ${JSON.stringify(challengeId)}, ${number})`, () =>
        decideApproval({ db, hmacKey, approver: { ...approver, deviceToken }, challengeId, decision, now: T0 }),
      );
    }));
  });
});

// ───────────────────────────── Sign-in ─────────────────────────────

describe('hostile input to sign-in', () => {
  it('signInWithPassword(email, password, code)', async () => {
    await check(fc.asyncProperty(anyEmail, fc.oneof(anyText, fc.constant('p'.repeat(100_000))), anyCode, async (email, password, code) => {
      await hostileCall(`signInWithPassword(${JSON.stringify(email)})`, () =>
        signInWithPassword(signInDeps, { email, password, secondFactor: { kind: 'totp', code }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }),
      );
    }));
  });

  it('signInWithPassword with a passkey as the second factor, and signInWithPasskey (any JSON)', async () => {
    const holder = await accountHolder(db, { passkey: true });
    await check(fc.asyncProperty(anyPasskeyResponse, async (response) => {
      await hostileCall('signInWithPasskey', () => signInWithPasskey(signInDeps, { response, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }));
      await hostileCall('signInWithPassword+passkey', () =>
        signInWithPassword(signInDeps, { email: holder.user.email, password: 'correct horse battery staple', secondFactor: { kind: 'passkey', response }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }),
      );
    }));
  });

  it('signInAgentWithPassword(email, password, code)', async () => {
    await check(fc.asyncProperty(anyEmail, anyText, anyCode, async (email, password, code) => {
      await hostileCall(`signInAgentWithPassword(${JSON.stringify(email)})`, () =>
        signInAgentWithPassword(signInDeps, { email, password, secondFactor: { kind: 'totp', code }, ip: nextIp(), userAgent: UA, now: T0 }),
      );
    }));
  });
});

// ───────────────────────────── The security center ─────────────────────────────

describe('hostile input to the security center', () => {
  it('renameOwnPasskey(id, name), signOutDevice(id), completePasskeyRegistration(response, name)', async () => {
    const holder = await accountHolder(db, { passkey: true });
    const session = await sessionFor(db, holder.user.id, T0);
    const actor: Actor = { userId: holder.user.id, sessionId: session.id, ip: nextIp(), userAgent: UA };
    const deps: ChangeDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery, now: T0 };
    await check(fc.asyncProperty(fc.oneof(fc.constant(holder.passkeyId!), anyId), anyText, anyPasskeyResponse, async (id, name, response) => {
      // Renaming keeps what was typed as plain text (the page escapes it); only its errors are checked for markup.
      await hostileCall(`renameOwnPasskey(${JSON.stringify(id)}, ${JSON.stringify(name)})`, () => renameOwnPasskey(deps, actor, { passkeyId: id, name }));
      await hostileCall(`signOutDevice(${JSON.stringify(id)})`, () => signOutDevice(deps, actor, { deviceId: id }));
      await hostileCall('completePasskeyRegistration', () => completePasskeyRegistration(deps, actor, { response, name }));
    }));
  });
});

// ───────────────────────────── Resets ─────────────────────────────

describe('hostile input to factor resets', () => {
  it('beginReset(challengeId, lost factor), getResetView(resetToken), checkTrustedDevice(resetToken), beginTicketCompletion(token, browser key), describeTicketCompletion', async () => {
    await check(fc.asyncProperty(anyId, fc.oneof(fc.constantFrom('passkey', 'authenticator', 'phone', 'email'), anyText), anyText, async (id, lostFactor, token) => {
      await hostileCall(`beginReset(${JSON.stringify(id)}, ${JSON.stringify(lostFactor)})`, () => beginReset({ db, now: T0 }, { challengeId: id, lostFactor }));
      await hostileCall(`getResetView(${JSON.stringify(id)})`, () => getResetView({ db, now: T0 }, id), { shownToPerson: true });
      await hostileCall(`checkTrustedDevice(${JSON.stringify(id)})`, () => checkTrustedDevice({ db, now: T0 }, { resetToken: id }));
      await hostileCall(`beginTicketCompletion(${JSON.stringify(token)}, ${JSON.stringify(id)})`, () => beginTicketCompletion({ db, hmacKey, now: T0 }, { token, browserKey: id, ip: nextIp() }));
      await hostileCall(`describeTicketCompletion(${JSON.stringify(token)}, ${JSON.stringify(id)})`, () => describeTicketCompletion({ db, hmacKey, now: T0 }, { token, browserKey: id }), { shownToPerson: true });
    }));
  });

  it('proveWithAuthenticator(code) and proveWithPasskey(any JSON) on a live reset', async () => {
    await check(fc.asyncProperty(anyCode, anyPasskeyResponse, async (code, response) => {
      // A fresh reset each run, so the attempt limit never hides what a call would do.
      const holder = await accountHolder(db, { authenticator: true, passkey: true });
      const deps: ResetDeps = { db, encryptionKey, rp, delivery: capturingDelivery().delivery, now: T0 };
      const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'phone' });
      await hostileCall(`proveWithAuthenticator(${JSON.stringify(code)})`, () => proveWithAuthenticator(deps, { resetToken, code }));
      await hostileCall('proveWithPasskey', () => proveWithPasskey(deps, { resetToken, response }));
    }));
  });
});

describe('hostile input to the recovery-code proof', () => {
  it('proveWithRecoveryCode(any text) on a live reset spends no code', async () => {
    await check(fc.asyncProperty(fc.oneof(anyText, anyCode), async (code) => {
      const holder = await accountHolder(db, { authenticator: true });
      await replaceRecoveryCodes(db, { hmacKey, userId: holder.user.id, now: T0 });
      const deps = { db, hmacKey, encryptionKey, rp, delivery: capturingDelivery().delivery, now: T0 };
      const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'authenticator' });
      await hostileCall(`proveWithRecoveryCode(${JSON.stringify(code)})`, () => proveWithRecoveryCode(deps, { resetToken, code, ip: nextIp() }));
      expect(await recoveryCodeStatus(db, holder.user.id)).toMatchObject({ remaining: 10 });
    }));
  });
});

describe('hostile input to contact replacement', () => {
  it('beginContactRebind(new phone number) and finishContactRebind(code) on a reset ready to bind', async () => {
    await check(fc.asyncProperty(anyText, anyCode, async (value, code) => {
      const holder = await accountHolder(db, { authenticator: true });
      const deps = { db, hmacKey, encryptionKey, rp, delivery: capturingDelivery().delivery, now: T0 };
      const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'phone' });
      await proveWithAuthenticator(deps, { resetToken, code: holder.code(T0) });
      await hostileCall(`beginContactRebind(${JSON.stringify(value)})`, () => beginContactRebind(deps, { resetToken, value }));
      await hostileCall(`finishContactRebind(${JSON.stringify(code)})`, () => finishContactRebind(deps, { resetToken, code }));
      // Whatever was typed, the account keeps its number unless a code sent to a real new number came back.
      expect((await db.user.findUniqueOrThrow({ where: { id: holder.user.id }, select: { phone: true } })).phone).toBe(holder.user.phone);
    }));
  });
});

// ───────────────────────────── Tickets ─────────────────────────────

describe('hostile input to recovery tickets', () => {
  it('openDocumentTicket(contact email, type, lost factors)', async () => {
    const capture = capturingDelivery();
    await check(fc.asyncProperty(
      anyEmail, fc.oneof(fc.constantFrom('PASSKEY_RESET', 'FULL_RECOVERY'), anyText), fc.array(fc.oneof(fc.constantFrom('passkey', 'phone'), anyText), { maxLength: 5 }),
      async (contactEmail, type, lostFactors) => {
        await hostileCall(
          `openDocumentTicket(${JSON.stringify(contactEmail)}, ${JSON.stringify(type)}, ${JSON.stringify(lostFactors)})`,
          () => openDocumentTicket({ db, hmacKey, delivery: capture.delivery, schedule: collectingScheduler().schedule, userId: null, contactEmail, type: type as 'PASSKEY_RESET', lostFactors, ip: nextIp(), userAgent: UA, now: T0 }),
          { shownToPerson: true },
        );
      },
    ));
  });

  it('requestStatusCode(reference, email), verifyStatusCode(challengeId, code), requestJoinCode(reference)', async () => {
    const capture = capturingDelivery();
    const ticket = await rawTicket(db);
    await check(fc.asyncProperty(fc.oneof(fc.constant(ticket.reference), anyReference), anyEmail, anyId, anyCode, async (reference, email, challengeId, code) => {
      const schedule = collectingScheduler().schedule;
      await hostileCall(`requestStatusCode(${JSON.stringify(reference)}, ${JSON.stringify(email)})`, () => requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule, reference, email, ip: nextIp(), userAgent: UA, now: T0 }), {
        shownToPerson: true,
      });
      await hostileCall(`verifyStatusCode(${JSON.stringify(challengeId)}, ${JSON.stringify(code)})`, () => verifyStatusCode({ db, hmacKey, challengeId, code, ip: nextIp(), now: T0 }), { shownToPerson: true });
      await hostileCall(`requestJoinCode(${JSON.stringify(reference)})`, () => requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule, reference, ip: nextIp(), now: T0 }), { shownToPerson: true });
    }));
  });

  it('joinAppointment(challengeId, email code, app code) and getTicketStatusView(ticketId)', async () => {
    await check(fc.asyncProperty(anyId, anyCode, anyCode, async (challengeId, emailCode, authenticatorCode) => {
      await hostileCall(`joinAppointment(${JSON.stringify(challengeId)})`, () => joinAppointment({ db, hmacKey, encryptionKey, challengeId, emailCode, authenticatorCode, ip: nextIp(), now: T0 }), { shownToPerson: true });
      await hostileCall(`getTicketStatusView(${JSON.stringify(challengeId)})`, () => getTicketStatusView({ db, ticketId: challengeId, now: T0 }));
    }));
  });

  it('replyToTicket(body) on the status page', async () => {
    const ticket = await rawTicket(db, { status: 'MORE_INFO_REQUESTED' });
    let hour = 0;
    await check(fc.asyncProperty(fc.oneof(anyText, fc.constant('y'.repeat(4001)), fc.string({ unit: 'binary', maxLength: 4000 })), async (body) => {
      // A new hour each run: the per-ticket reply limit is not what this checks.
      const now = new Date(T0.getTime() + ++hour * 3_600_000);
      await hostileCall(`replyToTicket(${JSON.stringify(body.slice(0, 40))})`, () => replyToTicket({ db, ticketId: ticket.id, body, ip: nextIp(), userAgent: UA, now }));
    }));
  });

  it('the console: notes, questions, rejections and ticket ids', async () => {
    const agent = await newAgent(db);
    const capture = capturingDelivery();
    await check(fc.asyncProperty(anyText, anyText, anyId, async (text, reason, ticketId) => {
      const ticket = await rawTicket(db, { assigneeId: agent.agentId });
      await hostileCall('addInternalNote', () => addInternalNote({ db, agent, ticketId: ticket.id, body: text, now: T0 }));
      await hostileCall(`rejectTicket(${JSON.stringify(reason)})`, () => rejectTicket({ db, agent, ticketId: ticket.id, delivery: capture.delivery, reason, note: text, now: T0 }));
      await hostileCall('requestInfo', () => requestInfo({ db, agent, ticketId: ticket.id, delivery: capture.delivery, body: text, now: T0 }));
      await hostileCall(`getTicketForAgent(${JSON.stringify(ticketId)})`, () => getTicketForAgent({ db, agent, ticketId, now: T0 }));
    }));
  });
});

// ───────────────────────────── Host API ─────────────────────────────

describe('hostile input to the host API', () => {
  it('authenticateApiKey(Authorization header)', async () => {
    await check(fc.asyncProperty(fc.oneof(anyText, anyText.map((t) => `Bearer ${t}`), fc.stringMatching(/^Bearer rg_live_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/)), async (authorization) => {
      await hostileCall('authenticateApiKey', () => authenticateApiKey({ db, hmacKey, authorization, now: T0 }));
    }));
  });
});

// ───────────────────────────── What the fuzzer found, pinned ─────────────────────────────

/**
 * The smallest inputs the properties above shrank to, as plain tests, so each problem has a name
 * of its own and stays fixed once fixed. Each asserts the behaviour the rule asks for.
 */
describe('hostile inputs the fuzzer found (regressions)', () => {
  it('a 36-character string of hex digits and dashes that is not a UUID answers like an unknown challenge, not with a 500', async () => {
    const { deps } = verification();
    const holder = await accountHolder(db);
    const approver = await approverFor(db, holder.user.id);
    const uses: [string, (challengeId: string) => Promise<unknown>][] = [
      ['verifyCode', (challengeId) => verifyCode(deps, { challengeId, code: '123456', ip: nextIp() })],
      ['resendCode', (challengeId) => resendCode(deps, { challengeId, channel: 'email', ip: nextIp() })],
      ['getChallengeView', (challengeId) => getChallengeView(deps, challengeId)],
      ['decideApproval', (challengeId) => decideApproval({ db, hmacKey, approver, challengeId, decision: { approve: true, number: 42 }, now: T0 })],
      ['beginReset', (challengeId) => beginReset({ db, now: T0 }, { challengeId, lostFactor: 'passkey' })],
    ];
    const failures: string[] = [];
    for (const [name, use] of uses) {
      const unknown = await outcome(() => use(randomUUID()));
      for (const junk of ['-'.repeat(36), '0'.repeat(36)]) {
        const answer = await outcome(() => use(junk));
        const shown = (o: typeof answer) => (o.ok ? { ok: o.value } : isExpectedError(o.error) ? publicAnswer(o.error) : `500: ${describeUnexpected(o.error)}`);
        if (JSON.stringify(shown(answer)) !== JSON.stringify(shown(unknown))) failures.push(`${name}(${JSON.stringify(junk)}) → ${JSON.stringify(shown(answer))}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a NUL character in an email is refused as invalid (or as a wrong sign-in), never a 500, and writes nothing', async () => {
    const { deps } = verification();
    const capture = capturingDelivery();
    const ticket = await rawTicket(db);
    const email = 'someone@exam\u0000ple.com';
    const uses: [string, () => Promise<unknown>][] = [
      ['startRecovery', () => startRecovery(deps, { identifier: email, ip: nextIp(), userAgent: UA })],
      ['signInWithPassword', () => signInWithPassword(signInDeps, { email, password: 'x', secondFactor: { kind: 'totp', code: '123456' }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 })],
      ['signInAgentWithPassword', () => signInAgentWithPassword(signInDeps, { email, password: 'x', secondFactor: { kind: 'totp', code: '123456' }, ip: nextIp(), userAgent: UA, now: T0 })],
      ['openDocumentTicket', () => openDocumentTicket({ db, hmacKey, delivery: capture.delivery, userId: null, contactEmail: email, type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now: T0 })],
      ['requestStatusCode', () => requestStatusCode({ db, hmacKey, delivery: capture.delivery, reference: ticket.reference, email, ip: nextIp(), now: T0 })],
    ];
    const failures: string[] = [];
    for (const [name, use] of uses) {
      const before = await rowCounts(db);
      const answer = await outcome(use);
      if (!answer.ok && !isExpectedError(answer.error)) {
        const after = await rowCounts(db);
        const written = Object.keys(before).filter((t) => before[t] !== after[t]);
        failures.push(`${name}: 500 (${describeUnexpected(answer.error)})${written.length ? `, after writing to ${written.join(', ')}` : ''}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('markup typed as an email address does not come back in the masked destination', async () => {
    const { deps } = verification();
    const capture = capturingDelivery();
    const ticket = await rawTicket(db);
    const typed = (n: number) => `<svg/onload=alert(${n})>@<svg/onload=alert(${n})>.com`;
    // An unknown address starts by email for about one identifier in four (the rest get a decoy
    // phone number): try until one does, so the email-shaped decoy is what gets checked.
    let recovery: Awaited<ReturnType<typeof outcome>> | undefined;
    for (let n = 0; n < 40; n++) {
      recovery = await outcome(() => startRecovery(deps, { identifier: typed(n), ip: nextIp(), userAgent: UA }));
      if (!recovery.ok || (recovery.value as { view: { channel: string } }).view.channel === 'email') break;
    }
    const answers = {
      startRecovery: recovery!,
      requestStatusCode: await outcome(() => requestStatusCode({ db, hmacKey, delivery: capture.delivery, reference: ticket.reference, email: typed(0), ip: nextIp(), now: T0 })),
    };
    const reflected = Object.entries(answers)
      .map(([name, o]) => [name, markupIn(o.ok ? o.value : publicAnswer(o.error))] as const)
      .filter(([, markup]) => markup !== undefined);
    expect(reflected).toEqual([]);
  });
});

it('the harness itself: a 500 and a reflected message are caught', async () => {
  await expect(hostileCall('boom', async () => Promise.reject(new TypeError('x is undefined')))).rejects.toThrow(/a 500/);
  const { AppError } = await import('@/lib/errors');
  await expect(hostileCall('echo', async () => Promise.reject(new AppError({ code: 'conflict', userMessage: 'You typed <b>' })))).rejects.toThrow(/reflects markup/);
});
