import { ZodError } from 'zod';
import { log } from '@/lib/log';

/**
 * Every error a person can see has a stable code, an internal message for the logs and a user
 * message that is safe to show. `e.message` of an unknown error never reaches a person.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'conflict'
  | 'reauthentication_required'
  | 'unavailable'
  | 'internal';

const statusOf: Record<ErrorCode, number> = {
  validation_failed: 422,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  conflict: 409,
  reauthentication_required: 403,
  unavailable: 503,
  internal: 500,
};

export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly fieldErrors: FieldErrors | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(options: {
    code: ErrorCode;
    userMessage: string;
    internalMessage?: string;
    fieldErrors?: FieldErrors;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super(options.internalMessage ?? options.userMessage, { cause: options.cause });
    this.name = 'AppError';
    this.code = options.code;
    this.userMessage = options.userMessage;
    this.fieldErrors = options.fieldErrors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status() {
    return statusOf[this.code];
  }
}

export function validationError(fieldErrors: FieldErrors, userMessage = 'Please check the highlighted fields.') {
  return new AppError({ code: 'validation_failed', userMessage, fieldErrors });
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; fieldErrors?: FieldErrors };
};

/** Turns anything thrown into the one shape people and API clients see. Unknown errors are logged. */
export function describeError(error: unknown, context: Record<string, unknown> = {}) {
  if (error instanceof AppError) {
    return {
      status: error.status,
      retryAfterSeconds: error.retryAfterSeconds,
      body: {
        error: {
          code: error.code,
          message: error.userMessage,
          ...(error.fieldErrors ? { fieldErrors: error.fieldErrors } : {}),
        },
      } satisfies ErrorBody,
    };
  }
  if (error instanceof ZodError) {
    const fieldErrors: FieldErrors = {};
    for (const issue of error.issues) {
      const key = issue.path.map(String).join('.') || '_';
      (fieldErrors[key] ??= []).push(issue.message);
    }
    return {
      status: 422,
      retryAfterSeconds: undefined,
      body: { error: { code: 'validation_failed' as const, message: 'Please check the highlighted fields.', fieldErrors } },
    };
  }
  if (isDatabaseUnavailable(error)) {
    // Expected while the database restarts or fails over; the pool reconnects by itself.
    log.warn('database_unavailable', { ...context, error });
    return {
      status: 503,
      retryAfterSeconds: undefined,
      body: { error: { code: 'unavailable' as const, message: DATABASE_UNAVAILABLE_MESSAGE } },
    };
  }
  log.error('unhandled_error', { ...context, error });
  return {
    status: 500,
    retryAfterSeconds: undefined,
    body: {
      error: { code: 'internal' as const, message: 'Something went wrong on our side. Please try again in a moment.' },
    },
  };
}

export const DATABASE_UNAVAILABLE_MESSAGE = "We can't reach our systems right now. Nothing was lost; please try again in a minute.";

// Prisma's codes for "no connection": can't reach (P1001), timed out reaching (P1002), operations
// timed out (P1008), server closed the connection (P1017), no pooled connection in time (P2024).
const PRISMA_CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// Driver-adapter error kinds (@prisma/driver-adapter-utils) that mean the server is not there;
// the adapter turns socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT) into these.
const ADAPTER_CONNECTION_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shutting down, crashed,
// starting up), 53300 (too many connections).
const POSTGRES_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
// node-postgres errors that carry no code: a socket closed mid-query, or no connection from the pool in time.
const PG_CONNECTION_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)$/;

/**
 * Whether an error means "the database cannot be reached" (down, restarting, out of connections),
 * as Prisma, its pg adapter or node-postgres report it. Decided on codes and the drivers' own fixed
 * messages only, never on free text that merely mentions a connection.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message, meta } = e as { code?: unknown; name?: unknown; message?: unknown; meta?: { driverAdapterError?: unknown } };
    if (typeof name === 'string' && name.startsWith('PrismaClient')) {
      if (typeof code === 'string' && PRISMA_CONNECTION_CODES.has(code)) return true;
      if (meta?.driverAdapterError && isDatabaseUnavailable(meta.driverAdapterError)) return true;
    }
    if (typeof (e as { kind?: unknown }).kind === 'string') {
      const { kind } = e as { kind: string };
      if (ADAPTER_CONNECTION_KINDS.has(kind)) return true;
      if (kind === 'postgres' && typeof code === 'string' && POSTGRES_UNAVAILABLE.test(code)) return true;
    }
    // A node-postgres DatabaseError (it has a severity) that escaped the adapter.
    if (typeof code === 'string' && typeof (e as { severity?: unknown }).severity === 'string' && POSTGRES_UNAVAILABLE.test(code)) return true;
    if (name === 'Error' && typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message) && code === undefined) return true;
  }
  return false;
}

/** The mapper for route handlers. */
export function errorResponse(error: unknown, context: Record<string, unknown> = {}): Response {
  const { status, body, retryAfterSeconds } = describeError(error, context);
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.ceil(retryAfterSeconds));
  return Response.json(body, { status, headers });
}

export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: ErrorBody['error']; retryAfterSeconds?: number };

/** The mapper for server actions: same codes and messages, returned instead of thrown. */
export async function runAction<T>(work: () => Promise<T>, context: Record<string, unknown> = {}): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await work() };
  } catch (error) {
    if (isFrameworkSignal(error)) throw error;
    const { body, retryAfterSeconds } = describeError(error, context);
    return { ok: false, error: body.error, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
}

/** Next.js signals redirect() and notFound() by throwing; those must pass through untouched. */
function isFrameworkSignal(error: unknown) {
  const digest = (error as { digest?: unknown } | null)?.digest;
  return typeof digest === 'string' && (digest.startsWith('NEXT_') || digest === 'DYNAMIC_SERVER_USAGE');
}
