import { z } from 'zod';
import { optionalTextField, textField } from './index';

/** The account holder's sign-in form (app/(account)/signin). */
export const accountSignInForm = z.object({
  email: textField('The email'),
  password: textField('The password'),
  code: textField('The code'),
  // Sent instead of `code` when the person signs in with one of their recovery codes (rule 30).
  recoveryCode: optionalTextField('The recovery code'),
  passkeyResponse: textField('The passkey answer'),
});

/** Signing in with an emailed code: the password first, then the code (app/(account)/signin/code). */
export const codeSignInForm = z.object({ email: textField('The email'), password: textField('The password') });
export const emailCodeForm = z.object({ code: textField('The code') });

/** The console sign-in form (app/(console)/console/signin). */
export const agentSignInForm = z.object({
  email: textField('The email'),
  password: textField('The password'),
  code: textField('The code'),
});
