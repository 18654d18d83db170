import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { describeError } from '@/lib/errors';
import { formValues, parseForm, safeParseForm } from '@/lib/forms';
import { agentAccessForm } from '@/lib/forms/admin';
import { codeForm, documentKindForm, openDocumentTicketForm, statusRequestForm } from '@/lib/forms/recovery';
import { accountSignInForm } from '@/lib/forms/sign-in';

const form = (fields: Record<string, string | Blob>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  return data;
};

describe('form schemas', () => {
  it('read text fields as a browser posts them, a missing one as empty', () => {
    expect(parseForm(statusRequestForm, form({ reference: 'RG-ABCD-2345' }))).toEqual({ reference: 'RG-ABCD-2345', email: '' });
    expect(parseForm(accountSignInForm, form({ email: 'ada@example.com', password: 'pw', code: '123456' }))).toEqual({
      email: 'ada@example.com',
      password: 'pw',
      code: '123456',
      passkeyResponse: '',
    });
  });

  it('take the first value of a repeated field', () => {
    const data = form({ code: '111111' });
    data.append('code', '222222');
    expect(formValues(data)).toEqual({ code: '111111' });
    expect(parseForm(codeForm, data).code).toBe('111111');
  });

  it('refuse a file where text belongs, as a validation error with the field named', () => {
    const parsed = safeParseForm(codeForm, form({ code: new Blob(['123456']) }));
    expect(parsed.success).toBe(false);
    let error: unknown;
    try {
      parseForm(codeForm, form({ code: new Blob(['123456']) }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZodError);
    const { status, body } = describeError(error, {});
    expect(status).toBe(422);
    expect(body.error.fieldErrors).toEqual({ code: ['The code must be text.'] });
  });

  it('keep the messages the actions gave before', () => {
    const lost = safeParseForm(openDocumentTicketForm, form({ lost: 'password' }));
    expect(lost.success ? [] : lost.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['lost', 'Choose what you can no longer use.']]);
    const kind = safeParseForm(documentKindForm, form({ kind: 'PASSPORT' }));
    expect(kind.success ? [] : kind.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['kind', 'Choose which photo this is.']]);
    expect(parseForm(openDocumentTicketForm, form({ lost: 'email', contactEmail: 'new@example.net' }))).toEqual({ lost: 'email', contactEmail: 'new@example.net' });
  });

  it('read the admin toggle as before: "true", "false" or unchanged', () => {
    expect(parseForm(agentAccessForm, form({ agentId: 'x', active: 'true' }))).toEqual({ agentId: 'x', active: true });
    expect(parseForm(agentAccessForm, form({ agentId: 'x', active: 'false', role: 'ADMIN' }))).toEqual({ agentId: 'x', active: false, role: 'ADMIN' });
    expect(parseForm(agentAccessForm, form({ agentId: 'x', active: 'maybe', role: '' }))).toEqual({ agentId: 'x' });
  });
});
