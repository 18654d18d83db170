import { z } from 'zod';
import { textField } from './index';

/** The account holder's sign-in form (app/(account)/signin). */
export const accountSignInForm = z.object({
  email: textField('The email'),
  password: textField('The password'),
  code: textField('The code'),
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
