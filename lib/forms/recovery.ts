import { z } from 'zod';
import { LOST_FACTORS } from '@/lib/recovery/policy';
import { textField } from './index';

/**
 * The recovery forms (app/(recover)). Codes, identifiers, references and tokens are checked by the
 * use cases, which answer wrong and unknown values alike (docs/security.md rule 13); these schemas
 * check what a browser can post.
 */

/** "Can't sign in?": an email address or phone number. */
export const startRecoveryForm = z.object({ identifier: textField('The email or phone number') });

/** Any one-time code field. */
export const codeForm = z.object({ code: textField('The code') });

/** A link's token, posted back from the page the link opened (cancel, complete). */
export const linkTokenForm = z.object({ token: textField('The link') });

/** Which factor was lost, on the reset path: an unknown value ends the reset in the use case. */
export const lostFactorForm = z.object({ lost: textField('What you lost') });

/** Following a request: reference and the contact address it was opened with. */
export const statusRequestForm = z.object({ reference: textField('The reference'), email: textField('The email') });

export const replyForm = z.object({ body: textField('The message') });

/** "Can't make it?": cancel the booked call, or ask for another time (with the times that suit, optionally). */
export const changeCallForm = z.object({
  choice: z.enum(['cancel', 'another_time'], { error: 'Choose what to do with the call.' }),
  note: z.string().max(8000).optional(),
});

/** Joining a video call: the reference first, then the emailed code and the authenticator code. */
export const videoReferenceForm = z.object({ reference: textField('The reference') });
export const videoJoinForm = z.object({ emailCode: textField('The email code'), authenticatorCode: textField('The authenticator code') });

/** Opening an identity-document request. */
export const openDocumentTicketForm = z.object({
  lost: z.enum(LOST_FACTORS as [string, ...string[]], { error: 'Choose what you can no longer use.' }).transform((v) => v as (typeof LOST_FACTORS)[number]),
  contactEmail: textField('The email'),
  /** Filled in by the browser (Intl): video-call emails show times in it. Checked by the use case. */
  timeZone: z.string().max(64).optional(),
});

/** The photos a document request takes. */
export const UPLOAD_KINDS = ['ID_FRONT', 'ID_BACK', 'SELFIE'] as const;
export const documentKindForm = z.object({ kind: z.enum(UPLOAD_KINDS, { error: 'Choose which photo this is.' }) });
