'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import type { TicketType } from '@/lib/db/generated/enums';
import { getDelivery } from '@/lib/delivery';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { codeForm, documentKindForm, openDocumentTicketForm, UPLOAD_KINDS } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import type { LostFactor } from '@/lib/recovery/policy';
import { confirmTicketContact, getTicketStatusView, openDocumentTicket, resendContactCode } from '@/lib/recovery/tickets';
import { maskEmail } from '@/lib/verification/identifiers';
import { recordAudit } from '@/lib/audit';
import { attachTicketDocument, getFaceCheckStatus, type UploadOutcome } from '@/lib/recovery/documents';
import { forgetPendingCode, grantTicket, readPendingCode, readTicketGrant, rememberPendingCode, revokeTicketGrant } from '../_components/ticket-access';
import { requestContext } from '../context';
import { verifiedAccount } from './account';

export type FormState = ActionResult<unknown> | undefined;

/** Long enough to find the document and take three careful photos; short enough that a shared computer forgets it. */
const UPLOAD_TTL_SECONDS = 2 * 60 * 60;
/** The code step: as long as an unconfirmed ticket lives (CONTACT_CONFIRM_MINUTES). */
const CONFIRM_TTL_SECONDS = 60 * 60;
/** The confirmation stays on screen across a reload for a while; the reference is in the email too. */
const SUBMITTED_TTL_SECONDS = 30 * 60;

/** What the person says they lost decides the kind of ticket agents see in their queue. */
const TICKET_TYPE: Record<LostFactor, TicketType> = {
  passkey: 'PASSKEY_RESET',
  authenticator: 'AUTHENTICATOR_RESET',
  phone: 'PHONE_CHANGE',
  email: 'EMAIL_CHANGE',
};


const sessionEnded = () =>
  new AppError({ code: 'conflict', userMessage: 'This upload session has ended. Your request is kept: add photos from the status page, or start again here.' });

async function context() {
  return { db: getPrisma(), now: requestNow(await cookies()), config: getConfig(), ...(await requestContext()) };
}

/**
 * "Continue": opens the ticket before any photo is sent, so every upload has somewhere to go and a
 * failed upload never loses the request. The ticket id goes into a signed HttpOnly cookie
 * (../_components/ticket-access.ts explains why signed).
 */
export async function openTicketAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(
    async () => {
      const { lost, contactEmail: typedEmail, timeZone } = parseForm(openDocumentTicketForm, form);
      const type = TICKET_TYPE[lost];
      const { db, now, config, ip, userAgent } = await context();
      // A verified recovery code already proved the account: its own address is the contact, so a
      // person who only holds the phone number cannot redirect the review's mail elsewhere. Only
      // when the email itself is what was lost do they give a new address (agents see the mismatch).
      const account = await verifiedAccount(db, now);
      const contactEmail = account && lost !== 'email' ? account.email : typedEmail;
      const { ticketId, code } = await openDocumentTicket({
        db,
        delivery: getDelivery(),
        hmacKey: config.hmacKey,
        userId: account?.userId ?? null,
        contactEmail,
        type,
        lostFactors: [lost],
        timeZone,
        ip,
        userAgent,
        now,
        // The confirmation goes out after the response: a slow mail server must not show whether an account matched.
        schedule: (work) => after(work),
      });
      // Next: the code sent to the contact address (nothing else goes there until it comes back).
      await grantTicket('documents', { ticketId, stage: 'confirm', ttlSeconds: CONFIRM_TTL_SECONDS });
      await rememberPendingCode('documents', { ...code, destination: maskEmail(contactEmail.trim().toLowerCase()) });
    },
    { action: 'recover.documents.open' },
  );
  if (result.ok) redirect('/recover/documents');
  if (result.error.fieldErrors?.lostFactors) result.error.fieldErrors.lost = result.error.fieldErrors.lostFactors;
  return result;
}

const CODE_PROBLEMS = {
  expired: 'This code has expired, or the request waited too long. Ask for a new code, or start again.',
  used: 'This code was already used. Ask for a new code, or start again.',
  locked: 'Too many wrong codes. Start a new request.',
} as const;

/** The code step: the contact address is confirmed and the ticket enters the queue. */
export async function confirmContactAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(
    async () => {
      const grant = await readTicketGrant('documents');
      const pending = await readPendingCode('documents');
      if (!grant || grant.stage !== 'confirm' || !pending) throw new AppError({ code: 'conflict', userMessage: CODE_PROBLEMS.expired });
      const { db, now, config, ip, userAgent } = await context();
      const outcome = await confirmTicketContact({
        db,
        delivery: getDelivery(),
        hmacKey: config.hmacKey,
        appUrl: config.appUrl,
        ticketId: grant.ticketId,
        challengeId: pending.challengeId,
        code: parseForm(codeForm, form).code,
        ip,
        userAgent,
        now,
        schedule: (work) => after(work),
      });
      if (outcome.status === 'confirmed') {
        await forgetPendingCode('documents');
        await grantTicket('documents', { ticketId: grant.ticketId, stage: 'upload', ttlSeconds: UPLOAD_TTL_SECONDS });
        return;
      }
      if (outcome.status === 'wrong') {
        await rememberPendingCode('documents', { ...pending, attemptsLeft: outcome.attemptsLeft });
        const left = `${outcome.attemptsLeft} ${outcome.attemptsLeft === 1 ? 'try' : 'tries'} left`;
        throw new AppError({ code: 'validation_failed', userMessage: 'That code is not right.', fieldErrors: { code: [`That code is not right. ${left}.`] } });
      }
      if (outcome.status === 'locked') await rememberPendingCode('documents', { ...pending, attemptsLeft: 0 });
      throw new AppError({ code: 'conflict', userMessage: CODE_PROBLEMS[outcome.status] });
    },
    { action: 'recover.documents.confirm' },
  );
  if (result.ok) redirect('/recover/documents');
  return result;
}

/** "Send a new code": the previous one stops working and its tries carry over. */
export async function resendContactCodeAction(_previous: FormState): Promise<FormState> {
  const result = await runAction(
    async () => {
      const grant = await readTicketGrant('documents');
      const pending = await readPendingCode('documents');
      if (!grant || grant.stage !== 'confirm') throw new AppError({ code: 'conflict', userMessage: CODE_PROBLEMS.expired });
      const { db, now, config, ip, userAgent } = await context();
      const code = await resendContactCode({ db, delivery: getDelivery(), hmacKey: config.hmacKey, ticketId: grant.ticketId, ip, userAgent, now, schedule: (work) => after(work) });
      await rememberPendingCode('documents', { ...code, ...(pending?.destination ? { destination: pending.destination } : {}) });
    },
    { action: 'recover.documents.resend' },
  );
  if (result.ok) redirect('/recover/documents');
  return result;
}

/** "Start again" from the code step: this browser forgets the unconfirmed request (housekeeping expires it). */
export async function restartDocumentsAction() {
  await forgetPendingCode('documents');
  await revokeTicketGrant('documents');
  redirect('/recover/documents');
}

/** One photo for the ticket this browser opened. */
export async function uploadDocumentAction(form: FormData): Promise<ActionResult<UploadOutcome>> {
  return runAction(
    async () => {
      const grant = await readTicketGrant('documents');
      if (!grant || grant.stage !== 'upload') throw sessionEnded();
      const { kind } = parseForm(documentKindForm, form);
      const { db, now, config, ip, userAgent } = await context();
      const view = await getTicketStatusView({ db, ticketId: grant.ticketId, now });
      if (!view?.canReply) throw sessionEnded();
      return attachTicketDocument({ db, masterKey: config.encryptionKey, ticketId: grant.ticketId, kind, file: uploadedFile(form.get('file')), ip, userAgent, now, faceMatch: config.faceMatch });
    },
    { action: 'recover.documents.upload' },
  );
}

/**
 * "Submit": the ticket exists already and is in the queue; this confirms all three photos
 * arrived and moves the page to its confirmation, after which this browser can add no more here
 * (more images go through the status page, behind an email code).
 */
export async function submitDocumentsAction(): Promise<ActionResult<{ reference: string }>> {
  return runAction(
    async () => {
      const grant = await readTicketGrant('documents');
      if (!grant || grant.stage !== 'upload') throw sessionEnded();
      const { db, now } = await context();
      const view = await getTicketStatusView({ db, ticketId: grant.ticketId, now });
      if (!view) throw sessionEnded();
      const have = new Set(view.documents.filter((d) => d.ok !== false).map((d) => d.kind));
      const missing = UPLOAD_KINDS.filter((kind) => !have.has(kind));
      if (missing.length > 0) {
        const names: Record<string, string> = { ID_FRONT: 'the front of your document', ID_BACK: 'the back of your document', SELFIE: 'your selfie' };
        throw new AppError({ code: 'validation_failed', userMessage: `Almost there: we still need ${missing.map((k) => names[k]).join(' and ')}.` });
      }
      await grantTicket('documents', { ticketId: grant.ticketId, stage: 'submitted', ttlSeconds: SUBMITTED_TTL_SECONDS });
      return { reference: view.reference };
    },
    { action: 'recover.documents.submit' },
  );
}

/**
 * After all five tries of the face check, the person may submit the front and back without a
 * selfie and ask to confirm who they are on a video call instead. Only while the check is paused:
 * before that, the selfie is still the way. The agent sees the request as a note on the ticket and
 * books the call through the console's existing video-call scheduling, where it is possible.
 */
export async function submitForVideoCallAction(): Promise<ActionResult<{ reference: string }>> {
  return runAction(
    async () => {
      const grant = await readTicketGrant('documents');
      if (!grant || grant.stage !== 'upload') throw sessionEnded();
      const { db, now, ip, userAgent } = await context();
      const face = await getFaceCheckStatus({ db, ticketId: grant.ticketId, now });
      if (!face.lockedUntil) {
        throw new AppError({ code: 'conflict', userMessage: 'A video call instead of the selfie is offered once all 5 tries of the face check are used. Take your selfie above.' });
      }
      const view = await getTicketStatusView({ db, ticketId: grant.ticketId, now });
      if (!view) throw sessionEnded();
      const have = new Set(view.documents.filter((d) => d.ok !== false).map((d) => d.kind));
      const missing = (['ID_FRONT', 'ID_BACK'] as const).filter((kind) => !have.has(kind));
      if (missing.length > 0) {
        const names = { ID_FRONT: 'the front of your document', ID_BACK: 'the back of your document' };
        throw new AppError({ code: 'validation_failed', userMessage: `Almost there: we still need ${missing.map((k) => names[k]).join(' and ')}.` });
      }
      await db.ticketMessage.create({
        data: {
          ticketId: grant.ticketId,
          kind: 'INTERNAL_NOTE',
          body: 'The face check did not succeed in 5 tries. The person submitted the document photos without a selfie and asked to confirm their identity on a video call.',
          createdAt: now,
        },
      });
      await recordAudit(db, {
        actorType: 'ANONYMOUS',
        action: 'ticket.video_call_requested',
        subjectType: 'ticket',
        subjectId: grant.ticketId,
        ip,
        userAgent: userAgent?.slice(0, 300) ?? null,
        data: { reason: 'face_check_attempts_used' },
        occurredAt: now,
      });
      await grantTicket('documents', { ticketId: grant.ticketId, stage: 'submitted', ttlSeconds: SUBMITTED_TTL_SECONDS });
      return { reference: view.reference };
    },
    { action: 'recover.documents.submit_video_call' },
  );
}

/** A form field that holds a file, or nothing. */
function uploadedFile(value: FormDataEntryValue | null) {
  return value instanceof File ? value : null;
}
