import pino, { type Logger } from 'pino';
import { currentRequestId } from './context';

export { currentRequestId, handleWithRequestId, newRequestId, REQUEST_ID_HEADER, runWithRequestId } from './context';

/**
 * One JSON line per event: debug and info on stdout, warn and error on stderr, each with the time,
 * the level, the event name, the request id when there is one (lib/log/context.ts) and the fields.
 * Callers pass facts, never secrets; redaction is the safety net behind that rule, not a licence to
 * pass them: values under the keys in REDACTED_KEYS become "[redacted]" at any depth up to four
 * (docs/security.md rules 1 and 26: codes, passwords, tokens, bearer ids and full contact details
 * stay out of logs). Errors are written with their name, message, stack and code.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

export const REDACTED_KEYS = [
  'code',
  'password',
  'passwordHash',
  'token',
  'secret',
  'resetToken',
  'email',
  'phone',
  'to',
  'identifier',
  'authorization',
  'cookie',
  'set-cookie',
  'apiKey',
  'otp',
] as const;

const DEPTH = 4;
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of REDACTED_KEYS) {
    const plain = /^[A-Za-z_$][\w$]*$/.test(key);
    for (let depth = 0; depth < DEPTH; depth++) {
      const wildcards = Array<string>(depth).fill('*');
      // "*.*.code" for a plain key, "*.*[\"set-cookie\"]" for one that needs brackets.
      paths.push(plain ? [...wildcards, key].join('.') : `${wildcards.join('.')}["${key}"]`);
    }
  }
  return paths;
}

/** Errors anywhere in the fields (up to the redaction depth), as plain objects a JSON line can carry. */
function serializeErrors(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    // An error's own code ("ECONNREFUSED", "rate_limited") is not a secret: kept under a name the
    // redaction of one-time codes does not match.
    const { code, ...rest } = pino.stdSerializers.err(value) as Record<string, unknown>;
    return code === undefined ? rest : { ...rest, errorCode: typeof code === 'string' || typeof code === 'number' ? code : String(code) };
  }
  if (depth >= DEPTH || value === null || typeof value !== 'object' || Array.isArray(value) && value.length > 100) return value;
  if (Array.isArray(value)) return value.some((v) => v instanceof Error || (v && typeof v === 'object')) ? value.map((v) => serializeErrors(v, depth + 1)) : value;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let changed: Record<string, unknown> | undefined;
  for (const [key, inner] of Object.entries(value)) {
    const next = serializeErrors(inner, depth + 1);
    if (next !== inner) (changed ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return changed ?? value;
}

/**
 * Where lines go. Looked up at every write, not bound once, so whatever stands in for the process's
 * stdout and stderr (a test capturing them) sees the lines. Writes are synchronous: nothing is left
 * in a buffer to flush when the process exits.
 */
function processStream(name: 'stdout' | 'stderr') {
  return { write: (line: string) => process[name].write(line) };
}

/** A logger with our format, writing to the given streams (tests pass their own). */
export function createLogger(options: { out?: { write(line: string): unknown }; err?: { write(line: string): unknown }; level?: Level } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => serializeErrors(object) as Record<string, unknown>,
      },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
      redact: { paths: redactPaths(), censor: '[redacted]' },
    },
    pino.multistream(
      [
        { level: 'debug', stream: options.out ?? processStream('stdout') },
        { level: 'warn', stream: options.err ?? processStream('stderr') },
      ],
      { dedupe: true },
    ),
  );
}

const logger = createLogger();

export function setLogLevel(level: Level) {
  logger.level = level;
}

function write(level: Level, event: string, fields: Record<string, unknown> = {}) {
  logger[level]({ event, ...fields });
}

export const log = {
  debug: (event: string, fields?: Record<string, unknown>) => write('debug', event, fields),
  info: (event: string, fields?: Record<string, unknown>) => write('info', event, fields),
  warn: (event: string, fields?: Record<string, unknown>) => write('warn', event, fields),
  error: (event: string, fields?: Record<string, unknown>) => write('error', event, fields),
};
