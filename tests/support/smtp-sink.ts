import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on loopback that accepts every message, parses it with mailparser and keeps
 * it in memory: what a person's inbox would receive. STARTTLS is off (loopback only) and AUTH is
 * optional, so any SMTP URL with or without credentials works.
 *
 * For failure tests it can misbehave (`failure` at start, or `failWith` later; none by default):
 *   'hang'         accepts the TCP connection and never sends the greeting (the client's timeout)
 *   'unavailable'  greets with "421 4.3.2 Service not available" and hangs up (a server shedding load)
 * A server that is down is a closed port: `close()` it, and start a new sink on the same `port`
 * to bring it back.
 */
export type SmtpFailure = 'hang' | 'unavailable';

export type SinkEmail = {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string | undefined;
  /** A text/calendar part (an iCalendar event), as text. */
  calendar: string | undefined;
  headers: Record<string, string>;
  receivedAt: Date;
};

export type SmtpSink = {
  port: number;
  url: string;
  messages(): SinkEmail[];
  clear(): void;
  /** From now on, misbehave this way (undefined: behave again). */
  failWith(failure: SmtpFailure | undefined): void;
  /** Resolves with the first message (oldest first) matching `match`, waiting up to `timeoutMs`. */
  waitForMessage(match?: (email: SinkEmail) => boolean, timeoutMs?: number): Promise<SinkEmail>;
  close(): Promise<void>;
};

export async function startSmtpSink(options: {
  port?: number;
  host?: string;
  /** Recipients to refuse with "550 5.1.1 mailbox unavailable", for bounce tests. */
  rejectRecipient?: (address: string) => boolean;
  failure?: SmtpFailure;
} = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const received: SinkEmail[] = [];
  const waiters = new Set<() => void>();
  let failure = options.failure;
  // Connections held without a greeting ('hang'); answered with 421 when the sink closes or recovers.
  const held = new Set<(error?: Error | null) => void>();
  const shuttingDown = () => Object.assign(new Error('4.3.2 Service not available'), { responseCode: 421 });
  const releaseHeld = () => {
    for (const release of held) release(shuttingDown());
    held.clear();
  };

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    banner: 'Regain test SMTP sink',
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      if (failure === 'hang') return void held.add(callback);
      if (failure === 'unavailable') return callback(shuttingDown());
      callback();
    },
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'sink' });
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        const error = new Error('5.1.1 Mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const headers: Record<string, string> = {};
          for (const [key, value] of mail.headers) headers[key] = typeof value === 'string' ? value : JSON.stringify(value);
          received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : undefined,
            calendar: mail.attachments.find((a) => a.contentType.startsWith('text/calendar'))?.content.toString('utf8'),
            headers,
            receivedAt: new Date(),
          });
          for (const wake of waiters) wake();
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    url: `smtp://${host}:${port}`,
    messages: () => [...received],
    clear: () => {
      received.length = 0;
    },
    failWith(next) {
      failure = next;
      if (next !== 'hang') releaseHeld();
    },
    waitForMessage(match = () => true, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(match);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no matching email within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    close: () => {
      releaseHeld();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

