import { hasAuthenticator } from '@/lib/authenticator';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { codeEmail } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { released } from '@/lib/limits/failures';
import { log } from '@/lib/log';
import { countPasskeys } from '@/lib/passkeys';
import { attemptCode, consumeCode, issueCode } from '@/lib/verification/code-challenge';
import { normalizeCode } from '@/lib/verification/codes';
import { maskEmail } from '@/lib/verification/identifiers';
import { CODE_TTL_SECONDS } from '@/lib/verification/policy';
import { admitPasswordSignIn, checkPassword, openSession, recordSignIn, type SignedIn, type SignInDeps, signInSucceeded } from './sign-in';

/**
 * Signing in with a password and an emailed code, for an account that has neither an authenticator
 * app nor a passkey (docs/security.md rule 31). Two factors still: something the person knows and
 * the inbox they proved. An account that has a stronger second factor never gets a code this way,
 * so holding its password and its inbox is not enough.
 *
 * The first step answers the same whatever was typed (rule 13): "if the details are right, a code
 * is on its way". A wrong password, an unknown address and an account with an app or passkey get a
 * decoy challenge that stores no code; the real code is sent after the response, so the time taken
 * does not tell them apart either. Wrong passwords count like any failed sign-in (SIGN_IN_FAILURES)
 * and wrong codes like any code (CODE_FAILURES), per account and client (rules 14, 23).
 */
export type CodeSignInStart = { challengeId: string; sentTo: string; expiresAt: string; attemptsLeft: number };

const DETAILS_REQUIRED = () => validationError({ email: ['Enter your email address and password.'] });

export async function startCodeSignIn(
  deps: SignInDeps & { schedule: (work: () => Promise<void>) => void },
  input: { email: string; password: string; ip: string; userAgent: string | null; now: Date },
): Promise<CodeSignInStart> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  if (!email || !input.password) throw DETAILS_REQUIRED();
  const accountKey = keyedHash(deps.hmacKey, 'signin', email).toString('base64url');
  const admission = await admitPasswordSignIn(deps.db, { subject: `signin:account:${accountKey}`, ip: input.ip, now: input.now });
  const { user, passwordOk } = await checkPassword(deps.db, email, input.password);
  const account = user && passwordOk ? await codeSignInAccount(deps.db, user.id) : undefined;

  if (passwordOk) {
    // Not a guess: the reservation goes back. Whether a code is sent is still not said.
    await released(deps.db, admission);
  } else {
    await recordSignIn(deps.db, { ...input, deviceToken: undefined }, { userId: user?.id ?? null, method: 'password+email_code', result: 'FAILURE', reason: user ? 'wrong_password' : 'unknown_account' });
  }

  const issued = await issueCode(deps.db, {
    hmacKey: deps.hmacKey,
    purpose: 'SIGN_IN',
    subject: { type: 'IDENTIFIER', hash: new Uint8Array(keyedHash(deps.hmacKey, 'signin-code', email)) },
    userId: account ? user!.id : null,
    real: account !== undefined,
    channel: 'EMAIL',
    // From what was typed, real or not: the page shows it back either way.
    destinationMasked: maskEmail(email),
    requestIp: input.ip,
    requestUserAgent: input.userAgent,
    supersede: true,
    now: input.now,
  });
  if (account) {
    const { code } = issued;
    deps.schedule(async () => {
      const content = codeEmail({ code, purposeLabel: 'signing in', expiresInMinutes: CODE_TTL_SECONDS / 60 });
      await deps.delivery
        .send({ channel: 'email', to: account.email, purpose: 'sign-in-code', challengeId: issued.challengeId, sensitive: [code], ...content })
        .catch((error: unknown) => log.warn('sign_in_code_send_failed', { userId: user!.id, error }));
    });
  }
  return { challengeId: issued.challengeId, sentTo: maskEmail(email), expiresAt: issued.expiresAt.toISOString(), attemptsLeft: issued.attemptsLeft };
}

/** The account can sign in with an emailed code: a verified address and no app or passkey. */
async function codeSignInAccount(db: Db, userId: string): Promise<{ email: string } | undefined> {
  const [user, authenticator, passkeys] = await Promise.all([
    db.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true, emailVerifiedAt: true } }),
    hasAuthenticator({ db, owner: { userId } }),
    countPasskeys(db, userId),
  ]);
  return user.emailVerifiedAt && !authenticator && passkeys === 0 ? { email: user.email } : undefined;
}

/**
 * The emailed code: five tries per code (rule 3), failures counted per address and client. A match
 * is spent once, even under concurrency (rule 2), and opens a session like any sign-in.
 */
export async function finishCodeSignIn(
  deps: SignInDeps,
  input: { challengeId: string; code: string; ip: string; userAgent: string | null; deviceToken: string | undefined; now: Date },
): Promise<SignedIn> {
  const code = normalizeCode(input.code);
  if (!code) throw new AppError({ code: 'validation_failed', userMessage: 'Enter the 6-digit code from the email.' });
  const attempt = await attemptCode(deps.db, {
    hmacKey: deps.hmacKey,
    challengeId: input.challengeId,
    purpose: 'SIGN_IN',
    code,
    now: input.now,
    limits: { client: input.ip, scope: 'signin-code' },
  });
  if (attempt.outcome === 'wrong') {
    await recordSignIn(deps.db, input, { userId: attempt.challenge.userId, method: 'password+email_code', result: 'FAILURE', reason: 'wrong_second_factor' });
    throw new AppError({
      code: 'unauthorized',
      userMessage:
        attempt.attemptsLeft > 0
          ? `That code is not right. ${attempt.attemptsLeft === 1 ? '1 try' : `${attempt.attemptsLeft} tries`} left.`
          : 'Too many wrong codes. Start again to get a new code.',
    });
  }
  if (attempt.outcome !== 'match' || !attempt.challenge.userId) {
    throw new AppError({ code: 'conflict', userMessage: 'This code has expired or was already used. Start again to get a new code.' });
  }
  if (!(await consumeCode(deps.db, attempt, input.now))) throw new AppError({ code: 'conflict', userMessage: 'This code was already used. Start again to get a new code.' });
  const signedIn = await openSession(deps, { ...input, userId: attempt.challenge.userId, method: 'password+email_code' });
  await signInSucceeded(deps.db, undefined, input.ip);
  return signedIn;
}
