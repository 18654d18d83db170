import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Settings of the local runner (npm run dev / npm test), read before the app's own config exists:
 * where the embedded database lives and which development secrets to generate.
 */
export type RunnerSettings = {
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  port: number;
  /** HOST: the interface the server listens on; unset = the entry's default (scripts/serve.ts). */
  host: string | undefined;
};

export function readRunnerSettings(cwd = process.cwd()): RunnerSettings {
  const port = Number(process.env.PORT ?? 3000);
  const embeddedPgPort = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
  for (const [name, value] of [['PORT', port], ['EMBEDDED_PG_PORT', embeddedPgPort]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new Error(`${name} must be a TCP port number (1-65535), got "${process.env[name]}"`);
    }
  }
  return {
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.resolve(cwd, process.env.DATA_DIR ?? '.data'),
    embeddedPgPort,
    port,
    host: process.env.HOST?.trim() || undefined,
  };
}

const GENERATED_SECRETS = {
  AUTH_SECRET: () => randomBytes(32).toString('base64url'),
  HMAC_KEY: () => randomBytes(32).toString('base64'),
  AUDIT_KEY: () => randomBytes(32).toString('base64'),
  ENCRYPTION_KEY: () => randomBytes(32).toString('base64'),
} as const;

/**
 * Development secrets are generated once into the git-ignored data folder and reused, so codes,
 * encrypted authenticator secrets and sessions survive restarts. Values set in the environment win.
 */
export function loadDevelopmentSecrets(dataDir: string): Record<string, string> {
  const file = path.join(dataDir, 'dev-secrets.json');
  mkdirSync(dataDir, { recursive: true });
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const [name, generate] of Object.entries(GENERATED_SECRETS)) {
    if (!stored[name]) {
      stored[name] = generate();
      changed = true;
    }
  }
  if (changed) writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  const result: Record<string, string> = {};
  for (const name of Object.keys(GENERATED_SECRETS)) {
    result[name] = process.env[name] || stored[name]!;
  }
  return result;
}

/** Throwaway secrets for a throwaway server; values set in the environment win here too. */
export function freshTestSecrets(): Record<string, string> {
  return Object.fromEntries(Object.entries(GENERATED_SECRETS).map(([name, generate]) => [name, process.env[name] || generate()]));
}
