import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError, describeError, errorResponse, runAction } from '@/lib/errors';

describe('error model', () => {
  it('maps a known error to its status and user message, never the internal one', async () => {
    const error = new AppError({ code: 'rate_limited', userMessage: 'Too many tries. Wait a minute.', internalMessage: 'bucket sms:dest:abc full', retryAfterSeconds: 59.2 });
    const response = errorResponse(error);
    expect(response.status).toBe(429);
    expect(response.headers.get('Retry-After')).toBe('60');
    const body = await response.json();
    expect(body).toEqual({ error: { code: 'rate_limited', message: 'Too many tries. Wait a minute.' } });
    expect(JSON.stringify(body)).not.toContain('bucket');
  });

  it('maps validation failures to 422 with field errors', () => {
    const parsed = z.object({ email: z.email({ message: 'Enter an email address' }) }).safeParse({ email: 'nope' });
    const { status, body } = describeError(parsed.error);
    expect(status).toBe(422);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.fieldErrors).toEqual({ email: ['Enter an email address'] });
  });

  it('hides unknown errors behind a generic 500 and logs them', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { status, body } = describeError(new Error('connection to 10.0.0.5 refused, password=hunter2'), { route: '/x' });
    const logged = String(spy.mock.calls[0]?.[0]);
    spy.mockRestore();
    expect(status).toBe(500);
    expect(body.error.message).toBe('Something went wrong on our side. Please try again in a moment.');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(logged).toContain('"event":"unhandled_error"');
    expect(logged).toContain('"route":"/x"');
  });

  it('returns action results instead of throwing, but lets framework redirects through', async () => {
    expect(await runAction(async () => 42)).toEqual({ ok: true, data: 42 });
    expect(await runAction(async () => { throw new AppError({ code: 'not_found', userMessage: 'No such ticket.' }); })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No such ticket.' },
    });
    const redirect = Object.assign(new Error('NEXT_REDIRECT'), { digest: 'NEXT_REDIRECT;replace;/done;307;' });
    await expect(runAction(async () => { throw redirect; })).rejects.toBe(redirect);
  });
});
