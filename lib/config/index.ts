import 'server-only';
import path from 'node:path';
import { z } from 'zod';
import { parseCidr, type Cidr, type ProxyTrust } from '@/lib/net/client-address';
import { setLogLevel } from '@/lib/log';
import { DEFAULT_CANCEL_WINDOW_HOURS } from './defaults';

/**
 * The only module that reads process.env. Everything else asks for `getConfig()`.
 * Validation runs once, at start-up (instrumentation.ts) and on first use in scripts and tests;
 * a bad value stops the process with a message that names the variable.
 */

const base64Key = (bytes: number) =>
  z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === bytes, {
      message: `must be ${bytes} random bytes, base64-encoded (generate with: openssl rand -base64 ${bytes})`,
    });

const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => v || undefined)
  .pipe(z.url({ message: 'must be a URL, e.g. http://127.0.0.1:7700' }).optional());

/**
 * How long each growing table keeps its rows, in days (README, "Retention"; docs/operations.md). The
 * least allowed value keeps what reads the rows working: rate limits remember lock lengths for a day
 * after a lock that lasted up to a day; the console's ticket review reads 30 days of sign-ins; help
 * analytics read 30 days of searches and views.
 */
export const RETENTION_DAYS = {
  RETENTION_RATE_LIMIT_DAYS: { field: 'rateLimitBuckets', default: 3, min: 2 },
  RETENTION_CHALLENGE_DAYS: { field: 'verificationChallenges', default: 30, min: 1 },
  RETENTION_MESSAGE_DAYS: { field: 'outboundMessages', default: 30, min: 1 },
  RETENTION_WEBHOOK_DAYS: { field: 'deliveredWebhooks', default: 30, min: 1 },
  RETENTION_SEARCH_QUERY_DAYS: { field: 'searchQueries', default: 90, min: 31 },
  RETENTION_ARTICLE_VIEW_DAYS: { field: 'articleViews', default: 90, min: 31 },
  RETENTION_SIGN_IN_EVENT_DAYS: { field: 'signInEvents', default: 180, min: 31 },
  RETENTION_SESSION_DAYS: { field: 'sessions', default: 30, min: 1 },
  RETENTION_DEAD_JOB_DAYS: { field: 'deadJobs', default: 30, min: 1 },
} as const;
type RetentionVariable = keyof typeof RETENTION_DAYS;
export type RetentionDays = { [K in RetentionVariable as (typeof RETENTION_DAYS)[K]['field']]: number };

const retentionDays = (name: RetentionVariable) => {
  const { default: fallback, min } = RETENTION_DAYS[name];
  const message = `must be a whole number of days from ${min} to 3650, e.g. ${fallback}`;
  return z
    .string()
    .trim()
    .optional()
    .transform((v) => v || String(fallback))
    .pipe(z.string().regex(/^\d{1,4}$/, { message }))
    .transform(Number)
    .refine((n) => n >= min && n <= 3650, { message });
};

const contentDirSchema = z.string().min(1).default('content');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: z
      .string({ message: 'is required: a PostgreSQL connection string (npm run dev sets it for the embedded database)' })
      .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// connection string' }),
    APP_URL: z.url({ message: 'must be the public base URL, e.g. http://localhost:3000' }).default('http://localhost:3000'),
    AUTH_SECRET: z.string().min(32, { message: 'must be at least 32 characters of random data' }),
    HMAC_KEY: base64Key(32),
    // docs/security.md rule 20: keys the audit hash chain. Kept apart from HMAC_KEY so it can live only
    // where the log is written and verified, never in the database (README, "Audit log").
    AUDIT_KEY: base64Key(32),
    ENCRYPTION_KEY: base64Key(32),
    MEILISEARCH_URL: optionalUrl,
    MEILISEARCH_API_KEY: z.string().optional().transform((v) => v || undefined),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    CONTENT_DIR: contentDirSchema,
    EMAIL_TRANSPORT: z.enum(['outbox', 'smtp'], { message: 'must be outbox or smtp' }).default('outbox'),
    SMTP_URL: z
      .string()
      .optional()
      .transform((v) => v || undefined)
      .pipe(z.string().regex(/^smtps?:\/\//, { message: 'must look like smtp://user:pass@host:587 or smtps://…' }).optional()),
    EMAIL_FROM: z.string().min(3).default('Regain Security <security@regain.localhost>'),
    SMS_TRANSPORT: z.enum(['outbox', 'twilio'], { message: 'must be outbox or twilio' }).default('outbox'),
    TWILIO_ACCOUNT_SID: z.string().optional().transform((v) => v || undefined),
    TWILIO_AUTH_TOKEN: z.string().optional().transform((v) => v || undefined),
    TWILIO_FROM: z
      .string()
      .optional()
      .transform((v) => v || undefined)
      .pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, { message: 'must be a phone number in E.164 form, e.g. +15005550006' }).optional()),
    TWILIO_API_BASE_URL: optionalUrl,
    WEBAUTHN_RP_ID: z
      .string()
      .trim()
      .optional()
      .transform((v) => v || undefined)
      .pipe(z.string().regex(/^[a-z0-9.-]+$/i, { message: 'must be a host name such as example.com (no scheme or port)' }).optional()),
    WEBAUTHN_RP_NAME: z.string().trim().min(1).default('Regain'),
    VIDEO_MEETING_URL_TEMPLATE: z
      .string()
      .trim()
      .default('https://meet.jit.si/regain-{room}')
      .refine((v) => v.includes('{room}') && /^https:\/\//.test(v), { message: 'must be an https:// URL containing {room}, e.g. https://meet.jit.si/regain-{room}' }),
    // Privacy setting: `off` turns the local face match of the documents path off; agents then
    // compare the selfie with the document by eye (lib/recovery/documents/face-match.ts).
    FACE_MATCH: z
      .string()
      .trim()
      .optional()
      .transform((v) => v || 'local')
      .pipe(z.enum(['local', 'off'], { message: 'must be local (compare faces on this server) or off' })),
    HOST_WEBHOOK_URL: optionalUrl,
    HOST_WEBHOOK_SECRET: z.string().optional().transform((v) => v || undefined),
    ENABLE_TEST_CLOCK: z
      .enum(['true', 'false', '1', '0', ''])
      .optional()
      .transform((v) => v === 'true' || v === '1'),
    // docs/security.md rule 24: forwarded headers count only behind proxies named here (README, "Running
    // behind a proxy"). Unset = the socket address, and X-Forwarded-For is ignored.
    TRUSTED_PROXY_HOPS: z
      .string()
      .trim()
      .optional()
      .transform((v) => v || '0')
      .pipe(z.string().regex(/^\d{1,2}$/, { message: 'must be the number of proxies in front of the app (0-10), e.g. 1 for one nginx' }))
      .transform(Number)
      .refine((n) => n <= 10, { message: 'must be the number of proxies in front of the app (0-10), e.g. 1 for one nginx' }),
    // docs/security.md rule 27: how long an approval made on identity documents alone waits for the
    // account owner's "This wasn't me" before it changes anything (README, "Identity documents").
    TICKET_CANCEL_WINDOW_HOURS: z
      .string()
      .trim()
      .optional()
      .transform((v) => v || String(DEFAULT_CANCEL_WINDOW_HOURS))
      .pipe(z.string().regex(/^\d{1,3}$/, { message: 'must be a whole number of hours (0-168), e.g. 24' }))
      .transform(Number)
      .refine((n) => n <= 168, { message: 'must be a whole number of hours (0-168), e.g. 24' }),
    RETENTION_RATE_LIMIT_DAYS: retentionDays('RETENTION_RATE_LIMIT_DAYS'),
    RETENTION_CHALLENGE_DAYS: retentionDays('RETENTION_CHALLENGE_DAYS'),
    RETENTION_MESSAGE_DAYS: retentionDays('RETENTION_MESSAGE_DAYS'),
    RETENTION_WEBHOOK_DAYS: retentionDays('RETENTION_WEBHOOK_DAYS'),
    RETENTION_SEARCH_QUERY_DAYS: retentionDays('RETENTION_SEARCH_QUERY_DAYS'),
    RETENTION_ARTICLE_VIEW_DAYS: retentionDays('RETENTION_ARTICLE_VIEW_DAYS'),
    RETENTION_SIGN_IN_EVENT_DAYS: retentionDays('RETENTION_SIGN_IN_EVENT_DAYS'),
    RETENTION_SESSION_DAYS: retentionDays('RETENTION_SESSION_DAYS'),
    RETENTION_DEAD_JOB_DAYS: retentionDays('RETENTION_DEAD_JOB_DAYS'),
    TRUSTED_PROXIES: z
      .string()
      .optional()
      .transform((v, ctx): Cidr[] => {
        const entries = (v ?? '').split(',').map((e) => e.trim()).filter(Boolean);
        const ranges = entries.map(parseCidr);
        const bad = entries.filter((_, i) => !ranges[i]);
        if (bad.length) ctx.addIssue({ code: 'custom', message: `must be comma-separated addresses or CIDR ranges (e.g. 10.0.0.0/8, fd00::/8); not valid: ${bad.join(', ')}` });
        return ranges.filter((r): r is Cidr => Boolean(r));
      }),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.APP_URL.startsWith('https://') && !isLoopback(env.APP_URL)) {
      ctx.addIssue({ code: 'custom', path: ['APP_URL'], message: 'must use https:// in production' });
    }
    if (env.EMAIL_TRANSPORT === 'smtp' && !env.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required when EMAIL_TRANSPORT is smtp' });
    }
    if (env.SMS_TRANSPORT === 'twilio') {
      for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when SMS_TRANSPORT is twilio' });
      }
    }
    // docs/security.md rule 27: in production an approval on documents alone always waits for the owner;
    // only the browser-test server (test clock, localhost only) may run without the wait.
    if (env.NODE_ENV === 'production' && env.TICKET_CANCEL_WINDOW_HOURS < 1 && !env.ENABLE_TEST_CLOCK) {
      ctx.addIssue({ code: 'custom', path: ['TICKET_CANCEL_WINDOW_HOURS'], message: 'must be at least 1 in production: the account owner needs time to cancel' });
    }
    // In production a code that only lands in the development outbox is a code nobody receives.
    if (env.NODE_ENV === 'production') {
      if (env.EMAIL_TRANSPORT === 'outbox') ctx.addIssue({ code: 'custom', path: ['EMAIL_TRANSPORT'], message: 'must be smtp in production' });
      if (env.SMS_TRANSPORT === 'outbox') ctx.addIssue({ code: 'custom', path: ['SMS_TRANSPORT'], message: 'must be twilio in production' });
    }
    if (env.HOST_WEBHOOK_URL && (!env.HOST_WEBHOOK_SECRET || env.HOST_WEBHOOK_SECRET.length < 32)) {
      ctx.addIssue({ code: 'custom', path: ['HOST_WEBHOOK_SECRET'], message: 'is required when HOST_WEBHOOK_URL is set: at least 32 characters shared with the host' });
    }
    // A passkey is bound to its relying-party id: it must be the app's host or a parent domain of it.
    if (env.WEBAUTHN_RP_ID) {
      const host = new URL(env.APP_URL).hostname;
      if (host !== env.WEBAUTHN_RP_ID && !host.endsWith(`.${env.WEBAUTHN_RP_ID}`)) {
        ctx.addIssue({ code: 'custom', path: ['WEBAUTHN_RP_ID'], message: `must be the host of APP_URL (${host}) or a parent domain of it` });
      }
    }
    // Two ways to say which proxies to believe would disagree about the same request: pick one.
    if (env.TRUSTED_PROXY_HOPS > 0 && env.TRUSTED_PROXIES.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['TRUSTED_PROXIES'], message: 'cannot be combined with TRUSTED_PROXY_HOPS: set one of them' });
    }
    // The test clock lets a request choose "now"; only ever on a loopback test server.
    if (env.ENABLE_TEST_CLOCK && !isLoopback(env.APP_URL)) {
      ctx.addIssue({ code: 'custom', path: ['ENABLE_TEST_CLOCK'], message: 'is only allowed when APP_URL is a localhost address' });
    }
  });

function isLoopback(url: string) {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  databaseUrl: string;
  appUrl: string;
  authSecret: string;
  hmacKey: Buffer;
  /** Keys the audit chain and its anchors (docs/security.md rule 20). */
  auditKey: Buffer;
  encryptionKey: Buffer;
  search: { engine: 'embedded' } | { engine: 'meilisearch'; url: string; apiKey: string | undefined };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  contentDir: string;
  testClock: boolean;
  email: { transport: 'outbox' } | { transport: 'smtp'; url: string; from: string };
  sms: { transport: 'outbox' } | { transport: 'twilio'; accountSid: string; authToken: string; from: string; apiBaseUrl: string | undefined };
  /** WebAuthn relying party: passkeys are bound to `rpId`; responses must come from `origin`. */
  webauthn: { rpId: string; rpName: string; origin: string };
  /** Video-call rooms for identity checks: `{room}` becomes a random, unguessable name. */
  videoMeetingUrlTemplate: string;
  /**
   * `local`: the selfie is compared with the document photo on this server, as an aid for the agent;
   * `off`: no face detection or matching at all, only the photo-quality checks.
   */
  faceMatch: 'local' | 'off';
  /** Where signed webhooks for the host platform go; undefined = none are sent (they wait in the table). */
  hostWebhook: { url: string; secret: string } | undefined;
  /** The development outbox page exists only outside production. */
  outboxPage: boolean;
  /** Which X-Forwarded-For entries to believe (docs/security.md rule 24); `none` = the socket address. */
  trustedProxy: ProxyTrust;
  /** docs/security.md rule 27: hours an approval on documents alone waits for the owner to cancel it. */
  ticketCancelWindowHours: number;
  /** Days each growing table keeps its rows (RETENTION_DAYS); the audit log is never purged. */
  retention: Readonly<RetentionDays>;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(source: Record<string, string | undefined>): Config {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'} ${issue.message}`),
    );
  }
  const env = result.data;
  return Object.freeze({
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    databaseUrl: env.DATABASE_URL,
    appUrl: env.APP_URL.replace(/\/$/, ''),
    authSecret: env.AUTH_SECRET,
    hmacKey: Buffer.from(env.HMAC_KEY, 'base64'),
    auditKey: Buffer.from(env.AUDIT_KEY, 'base64'),
    encryptionKey: Buffer.from(env.ENCRYPTION_KEY, 'base64'),
    search: env.MEILISEARCH_URL
      ? { engine: 'meilisearch' as const, url: env.MEILISEARCH_URL, apiKey: env.MEILISEARCH_API_KEY }
      : { engine: 'embedded' as const },
    logLevel: env.LOG_LEVEL,
    contentDir: path.resolve(env.CONTENT_DIR),
    testClock: env.ENABLE_TEST_CLOCK,
    email: env.EMAIL_TRANSPORT === 'smtp' ? { transport: 'smtp' as const, url: env.SMTP_URL!, from: env.EMAIL_FROM } : { transport: 'outbox' as const },
    sms:
      env.SMS_TRANSPORT === 'twilio'
        ? {
            transport: 'twilio' as const,
            accountSid: env.TWILIO_ACCOUNT_SID!,
            authToken: env.TWILIO_AUTH_TOKEN!,
            from: env.TWILIO_FROM!,
            apiBaseUrl: env.TWILIO_API_BASE_URL,
          }
        : { transport: 'outbox' as const },
    webauthn: { rpId: env.WEBAUTHN_RP_ID ?? new URL(env.APP_URL).hostname, rpName: env.WEBAUTHN_RP_NAME, origin: new URL(env.APP_URL).origin },
    videoMeetingUrlTemplate: env.VIDEO_MEETING_URL_TEMPLATE,
    faceMatch: env.FACE_MATCH,
    hostWebhook: env.HOST_WEBHOOK_URL ? { url: env.HOST_WEBHOOK_URL, secret: env.HOST_WEBHOOK_SECRET! } : undefined,
    outboxPage: env.NODE_ENV !== 'production',
    trustedProxy:
      env.TRUSTED_PROXIES.length > 0
        ? { mode: 'cidrs' as const, ranges: env.TRUSTED_PROXIES }
        : env.TRUSTED_PROXY_HOPS > 0
          ? { mode: 'hops' as const, hops: env.TRUSTED_PROXY_HOPS }
          : { mode: 'none' as const },
    ticketCancelWindowHours: env.TICKET_CANCEL_WINDOW_HOURS,
    retention: Object.freeze({
      rateLimitBuckets: env.RETENTION_RATE_LIMIT_DAYS,
      verificationChallenges: env.RETENTION_CHALLENGE_DAYS,
      outboundMessages: env.RETENTION_MESSAGE_DAYS,
      deliveredWebhooks: env.RETENTION_WEBHOOK_DAYS,
      searchQueries: env.RETENTION_SEARCH_QUERY_DAYS,
      articleViews: env.RETENTION_ARTICLE_VIEW_DAYS,
      signInEvents: env.RETENTION_SIGN_IN_EVENT_DAYS,
      sessions: env.RETENTION_SESSION_DAYS,
      deadJobs: env.RETENTION_DEAD_JOB_DAYS,
    }),
  });
}

let cached: Config | undefined;

export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/**
 * CONTENT_DIR alone, by the same rule as in the full schema: the help pages are rendered from the
 * articles when the app is built (README, "How help pages are served"), where the server's secrets
 * and database are not needed and usually not set.
 */
export function getContentDir(): string {
  return path.resolve(contentDirSchema.parse(process.env.CONTENT_DIR || undefined));
}

let cachedAuditKey: Buffer | undefined;

/**
 * AUDIT_KEY alone, validated by the same rule as in the full schema. Every audit append needs it,
 * including from code paths (and tests) that never load the rest of the configuration; a missing or
 * malformed key throws, so nothing is ever written to the chain unkeyed.
 */
export function getAuditKey(): Buffer {
  if (cachedAuditKey) return cachedAuditKey;
  const parsed = base64Key(32).safeParse(process.env.AUDIT_KEY ?? '');
  if (!parsed.success) throw new ConfigError([`AUDIT_KEY ${parsed.error.issues[0]?.message ?? 'is required'}`]);
  cachedAuditKey = Buffer.from(parsed.data, 'base64');
  return cachedAuditKey;
}

/** Called once at server start-up; prints what is wrong and exits rather than serving broken. */
export function validateConfigAtStartup() {
  try {
    setLogLevel(getConfig().logLevel);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`\n${error.message}\n`);
    process.exit(1);
  }
}
