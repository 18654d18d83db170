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
  log.error('unhandled_error', { ...context, error });
  return {
    status: 500,
    retryAfterSeconds: undefined,
    body: {
      error: { code: 'internal' as const, message: 'Something went wrong on our side. Please try again in a moment.' },
    },
  };
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
