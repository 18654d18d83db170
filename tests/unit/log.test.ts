import { afterEach, describe, expect, it } from 'vitest';
import { currentRequestId, handleWithRequestId, log, newRequestId, runWithRequestId, setLogLevel } from '@/lib/log';

// docs/security.md rules 1 and 26: codes, passwords, tokens and contact details never reach a log
// line, even when a caller passes them by mistake; every line written for a request names it.

function capture(work: () => void | Promise<void>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const grab = ((chunk: unknown) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stdout.write = grab;
  process.stderr.write = grab;
  const restore = () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
  return Promise.resolve()
    .then(work)
    .finally(restore)
    .then(() => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
}

afterEach(() => setLogLevel('info'));

describe('log redaction', () => {
  const secrets = {
    code: '493817',
    password: 'correct horse battery staple',
    token: 'tok_9f8e7d6c5b4a',
    secret: 'JBSWY3DPEHPK3PXP',
    resetToken: 'rst_0123456789abcdef',
    email: 'ada@example.com',
    phone: '+15555550123',
    to: '+15555550199',
    identifier: 'ben@example.com',
    authorization: 'Bearer abcdefabcdef',
    cookie: '__Host-regain_session=zzzzzzzz',
    'set-cookie': '__Host-regain_session=yyyyyyyy',
  };

  it.each(Object.entries(secrets))('never writes %s, at the top or nested', async (key, value) => {
    const lines = await capture(() => {
      log.info('top', { [key]: value });
      log.warn('nested', { request: { [key]: value } });
      log.error('deeper', { a: { b: { [key]: value } } });
      log.info('in_list', { items: [{ [key]: value }] });
    });
    expect(lines).toHaveLength(4);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(value);
    expect(text).toContain('[redacted]');
  });

  it('keeps the event and harmless fields', async () => {
    const [line] = await capture(() => log.info('delivery_sent', { channel: 'sms', attempts: 2 }));
    expect(line).toMatchObject({ level: 'info', event: 'delivery_sent', channel: 'sms', attempts: 2 });
    expect(typeof line!.time).toBe('string');
  });

  it('writes errors with name, message and stack, without leaking a code through them', async () => {
    const error = Object.assign(new Error('upstream refused'), { code: 'ECONNREFUSED' });
    const [line] = await capture(() => log.error('request_failed', { error }));
    expect(line!.error).toMatchObject({ type: 'Error', message: 'upstream refused', errorCode: 'ECONNREFUSED' });
    expect(String((line!.error as { stack: string }).stack)).toContain('upstream refused');
  });

  it('honours setLogLevel', async () => {
    const lines = await capture(() => {
      log.debug('quiet');
      setLogLevel('debug');
      log.debug('loud');
      setLogLevel('error');
      log.warn('dropped');
      log.error('kept');
    });
    expect(lines.map((l) => l.event)).toEqual(['loud', 'kept']);
  });
});

describe('request id', () => {
  it('is on every line inside a request scope and on none outside', async () => {
    const id = newRequestId();
    const lines = await capture(async () => {
      log.info('before');
      await runWithRequestId(id, async () => {
        log.info('start');
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.warn('after_await');
      });
      log.info('after');
    });
    expect(lines.map((l) => [l.event, l.requestId])).toEqual([
      ['before', undefined],
      ['start', id],
      ['after_await', id],
      ['after', undefined],
    ]);
  });

  it('keeps concurrent requests apart', async () => {
    const [a, b] = [newRequestId(), newRequestId()];
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    const lines = await capture(async () => {
      const request = (id: string, wait: number) =>
        runWithRequestId(id, async () => {
          await new Promise((resolve) => setTimeout(resolve, wait));
          log.info('work', { expected: id });
          expect(currentRequestId()).toBe(id);
        });
      await Promise.all([request(a, 10), request(b, 1)]);
    });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.requestId).toBe(line.expected);
  });
});

describe('handleWithRequestId (the server entry)', () => {
  it('answers with a fresh X-Request-Id, ignores a client-sent one, and logs under it', async () => {
    const { createServer } = await import('node:http');
    const seen: { header: string | undefined; scoped: string | undefined }[] = [];
    const server = createServer((request, response) =>
      handleWithRequestId(request, response, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push({ header: request.headers['x-request-id'] as string | undefined, scoped: currentRequestId() });
        response.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const first = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'X-Request-Id': 'attacker-chosen' } });
      const second = await fetch(`http://127.0.0.1:${port}/`);
      const ids = [first.headers.get('x-request-id'), second.headers.get('x-request-id')];
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids[0]).not.toBe('attacker-chosen');
      expect(ids[1]).not.toBe(ids[0]);
      expect(seen.map((s) => s.scoped)).toEqual(ids);
      expect(seen.every((s) => s.header === undefined)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
