'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { changeCallForm, codeForm, replyForm, statusRequestForm } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import { cancelAppointmentByPerson, getTicketStatusView, replyToTicket, requestStatusCode, verifyStatusCode } from '@/lib/recovery/tickets';
import { attachTicketDocument, type UploadOutcome } from '@/lib/recovery/documents';
import { forgetPendingCode, grantTicket, readPendingCode, readTicketGrant, rememberPendingCode, revokeTicketGrant } from '../_components/ticket-access';
import { requestContext } from '../context';

export type FormState = ActionResult<unknown> | undefined;

/** The status page stays open this long after the email code; then a new code is needed (a shared computer forgets it). */
const ACCESS_TTL_SECONDS = 30 * 60;

async function context() {
  return { db: getPrisma(), now: requestNow(await cookies()), config: getConfig(), ...(await requestContext()) };
}

const accessEnded = () => new AppError({ code: 'conflict', userMessage: `For your security this page closes after ${ACCESS_TTL_SECONDS / 60} minutes. Ask for a new code to open it again.` });

async function requireTicket() {
  const grant = await readTicketGrant('status');
  if (!grant) throw accessEnded();
  return grant.ticketId;
}

/** Reference + email: the same answer whether or not they match (the lib sends only when they do). */
export async function requestStatusCodeAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(
    async () => {
      const { db, now, config, ip, userAgent } = await context();
      const { reference, email } = parseForm(statusRequestForm, form);
      const request = await requestStatusCode({
        db,
        delivery: getDelivery(),
        hmacKey: config.hmacKey,
        reference,
        email,
        ip,
        userAgent,
        now,
        schedule: (work) => after(work),
      });
      await rememberPendingCode('status', { challengeId: request.challengeId, expiresAt: request.expiresAt, attemptsLeft: request.attemptsLeft, destination: request.destination });
    },
    { action: 'recover.status.request_code' },
  );
  if (result.ok) redirect('/recover/status');
  return result;
}

const codeProblems = {
  expired: 'This code has expired. Ask for a new one.',
  used: 'This code was already used. Ask for a new one.',
  locked: 'Too many wrong codes, so this request is closed. Wait 10 minutes, then start again to get a new code.',
} as const;

export async function verifyStatusCodeAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(
    async () => {
      const pending = await readPendingCode('status');
      if (!pending) throw new AppError({ code: 'conflict', userMessage: codeProblems.expired });
      const { db, now, config, ip, userAgent } = await context();
      const outcome = await verifyStatusCode({ db, hmacKey: config.hmacKey, challengeId: pending.challengeId, code: parseForm(codeForm, form).code, ip, userAgent, now });
      if (outcome.status === 'verified') {
        await grantTicket('status', { ticketId: outcome.ticketId, stage: 'view', ttlSeconds: ACCESS_TTL_SECONDS });
        await forgetPendingCode('status');
        return;
      }
      if (outcome.status === 'wrong') {
        await rememberPendingCode('status', { ...pending, attemptsLeft: outcome.attemptsLeft });
        const left = `${outcome.attemptsLeft} ${outcome.attemptsLeft === 1 ? 'try' : 'tries'} left`;
        throw new AppError({ code: 'validation_failed', userMessage: 'That code is not right.', fieldErrors: { code: [`That code is not right. ${left}.`] } });
      }
      // The page shows a closed request as closed (one message, "Start again"), not as tries left.
      if (outcome.status === 'locked') await rememberPendingCode('status', { ...pending, attemptsLeft: 0 });
      throw new AppError({ code: 'conflict', userMessage: codeProblems[outcome.status] });
    },
    { action: 'recover.status.verify_code' },
  );
  if (result.ok) redirect('/recover/status');
  return result;
}

/** "Use a different reference" / "Ask for a new code": back to the first form. */
export async function startOverAction() {
  await forgetPendingCode('status');
  redirect('/recover/status');
}

/** "Close": this browser forgets the ticket now rather than in 30 minutes. */
export async function closeStatusAction() {
  await revokeTicketGrant('status');
  redirect('/recover/status');
}

export async function replyAction(_previous: FormState, form: FormData): Promise<FormState> {
  return runAction(
    async () => {
      const ticketId = await requireTicket();
      const { db, now, ip, userAgent } = await context();
      const { status } = await replyToTicket({ db, ticketId, body: parseForm(replyForm, form).body, ip, userAgent, now });
      return status;
    },
    { action: 'recover.status.reply' },
  );
}

/** "Can't make it?": the booked call is cancelled, or Support is asked for another time. */
export async function changeCallAction(_previous: FormState, form: FormData): Promise<FormState> {
  return runAction(
    async () => {
      const ticketId = await requireTicket();
      const { db, now, ip, userAgent } = await context();
      const { choice, note } = parseForm(changeCallForm, form);
      await cancelAppointmentByPerson({ db, ticketId, choice, note, ip, userAgent, now });
      return choice;
    },
    { action: 'recover.status.change_call' },
  );
}

/** An extra image for the agent (EXTRA): the same checks and encryption as the first photos. */
export async function uploadExtraAction(form: FormData): Promise<ActionResult<UploadOutcome>> {
  return runAction(
    async () => {
      const ticketId = await requireTicket();
      const { db, now, config, ip, userAgent } = await context();
      const view = await getTicketStatusView({ db, ticketId, now });
      if (!view?.canReply) throw new AppError({ code: 'conflict', userMessage: 'This request is closed, so it cannot take new images. You can start a new request.' });
      return attachTicketDocument({ db, masterKey: config.encryptionKey, ticketId, kind: 'EXTRA', file: uploadedFile(form.get('file')), ip, userAgent, now });
    },
    { action: 'recover.status.upload' },
  );
}

/** A form field that holds a file, or nothing. */
function uploadedFile(value: FormDataEntryValue | null) {
  return value instanceof File ? value : null;
}
