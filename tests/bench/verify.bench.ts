// Verification benchmark: `npm run bench:verify`. Against the server entry (`npm start`) on the embedded PostgreSQL
// (loopback only, bounded in count): starts a recovery for each of N accounts through
// POST /api/recovery/start (codes go by the real Twilio client to a local Twilio-compatible server),
// then submits every code through POST /api/recovery/verify, a second copy of some at the same time,
// and counts double consumption. Writes tests/bench/reports/verify.*.
import { randomUUID } from 'node:crypto';
import { createPrisma } from '@/lib/db/client';
import { startTwilioFake } from '../support/twilio-fake';
import { type Row, startBenchServer, summarize, writeReport } from './support';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 1500);
const CONCURRENCY = 8;
const DUPLICATE_EVERY = 5; // every 5th code is also submitted a second time, at the same moment
const ms = (n: number) => `${n.toFixed(1)} ms`;

const twilio = await startTwilioFake({ accountSid: 'AC00000000000000000000000000000000', authToken: 'bench-auth-token' });
// The load generator plays the one trusted proxy (docs/security.md rule 24), so the addresses it names
// below count and 1,500 people are not one client to the per-IP limits.
const server = await startBenchServer({ TWILIO_API_BASE_URL: twilio.url, TWILIO_AUTH_TOKEN: 'bench-auth-token', TRUSTED_PROXY_HOPS: '1' });

// Many people behind one proxy: each request names its client address, as the proxy would.
const clientAddress = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function pool<T>(count: number, work: (i: number) => Promise<T>) {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

async function post(path: string, body: unknown, ip: string) {
  const started = performance.now();
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  return { status: response.status, json, ms: performance.now() - started };
}

try {
  const db = createPrisma(server.databaseUrl);
  const phones = Array.from({ length: ACCOUNTS }, (_, i) => `+1555${String(1_000_000 + i).slice(1)}`);
  await db.user.createMany({
    data: phones.map((phone, i) => ({ email: `bench-${i}-${randomUUID().slice(0, 8)}@example.com`, displayName: `Bench ${i}`, phone, phoneVerifiedAt: new Date(), emailVerifiedAt: new Date() })),
  });
  await db.$disconnect();

  const startedAt = performance.now();
  const starts = await pool(ACCOUNTS, (i) => post('/api/recovery/start', { identifier: phones[i] }, clientAddress(i)));
  const startSeconds = (performance.now() - startedAt) / 1000;
  const failedStarts = starts.filter((s) => s.status !== 201).length;

  // Codes arrive after each response (sent in the background): wait for all of them.
  const deadline = Date.now() + 60_000;
  while (twilio.messages().length < ACCOUNTS - failedStarts && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const codeFor = new Map(twilio.messages().map((m) => [m.to, m.body.match(/\b\d{6}\b/)?.[0]]));

  const submissions = starts.flatMap((s, i) => {
    const entry = { challengeId: s.json.challengeId as string, code: codeFor.get(phones[i]!) ?? '000000', ip: clientAddress(ACCOUNTS + i) };
    return i % DUPLICATE_EVERY === 0 ? [entry, entry] : [entry];
  });
  const verifyStarted = performance.now();
  const verifies = await pool(submissions.length, (i) => post('/api/recovery/verify', { challengeId: submissions[i]!.challengeId, code: submissions[i]!.code }, submissions[i]!.ip));
  const verifySeconds = (performance.now() - verifyStarted) / 1000;

  const verified = verifies.filter((v) => v.status === 200).length;
  const doubles = verified - new Set(submissions.filter((_, i) => verifies[i]!.status === 200).map((s) => s.challengeId)).size;
  const unexpected = verifies.filter((v) => v.status !== 200 && v.status !== 409).length;
  const start = summarize(starts.map((s) => s.ms));
  const verify = summarize(verifies.map((v) => v.ms));
  const throughput = submissions.length / verifySeconds;

  const rows: Row[] = [
    { measure: `POST /api/recovery/start (${ACCOUNTS} accounts, ${CONCURRENCY} at a time) p50 / p95 / p99`, value: `${ms(start.p50)} / ${ms(start.p95)} / ${ms(start.p99)}`, target: '—', met: null },
    { measure: 'recovery starts per second', value: `${Math.round(ACCOUNTS / startSeconds)}/s (${failedStarts} failed)`, target: '—', met: failedStarts === 0 ? null : false },
    { measure: `POST /api/recovery/verify (${submissions.length} submissions) p50 / p99`, value: `${ms(verify.p50)} / ${ms(verify.p99)}`, target: '—', met: null },
    { measure: 'verify p95', value: ms(verify.p95), target: '< 50 ms', met: verify.p95 < 50 },
    { measure: 'verifications per second', value: `${Math.round(throughput)}/s`, target: '≥ 300/s', met: throughput >= 300 },
    { measure: 'codes verified', value: `${verified} of ${ACCOUNTS}`, target: `${ACCOUNTS}`, met: verified === ACCOUNTS },
    { measure: 'double consumption (same code accepted twice)', value: String(doubles), target: '0', met: doubles === 0 },
    { measure: 'unexpected responses (not 200 or 409)', value: String(unexpected), target: '0', met: unexpected === 0 },
  ];
  writeReport('verify', `Verification benchmark (${ACCOUNTS} accounts)`, rows, { accounts: ACCOUNTS, concurrency: CONCURRENCY });
} finally {
  await server.stop();
  await twilio.close();
}
