// Queue benchmark: `npm run bench:queue`. Against `npm start` on the embedded PostgreSQL (loopback
// only, bounded in count): seeds 100,000 recovery tickets, then measures the queue use case in
// process and the /console queue page over HTTP for a signed-in supervisor, and records the query
// plans (target: p95 under 100 ms with 100,000 tickets). Writes tests/bench/reports/queue.*.
import { Prisma } from '@/lib/db/generated/client';
import { totp } from '@/lib/authenticator/totp';
import { createPrisma } from '@/lib/db/client';
import { listQueue, queueQuery, type QueueFilters, type QueueSort } from '@/lib/recovery/console/queue';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, demoAccounts } from '@/prisma/seed';
import { type Row, signInOverHttp, startBenchServer, summarize, writeReport } from './support';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 100_000);
const SAMPLES = 200;
const ms = (n: number) => `${n.toFixed(1)} ms`;

const server = await startBenchServer();
const db = createPrisma(server.databaseUrl);

try {
  const supervisor = await db.agent.findUniqueOrThrow({ where: { email: demoAccounts.supervisor.email }, select: { id: true, name: true, role: true } });
  const agents = await db.agent.findMany({ select: { id: true } });
  const now = new Date();
  // A realistic spread: half open, a quarter unassigned, one in seven high risk.
  await db.$executeRaw`
    INSERT INTO "RecoveryTicket" ("id", "reference", "type", "status", "contactEmail", "lostFactors", "riskLevel", "assigneeId", "slaDueAt", "createdAt", "updatedAt")
    SELECT gen_random_uuid(), 'BENCH-' || g,
      (ARRAY['PASSKEY_RESET','AUTHENTICATOR_RESET','PHONE_CHANGE','EMAIL_CHANGE','FULL_RECOVERY'])[1 + abs(hashtext('type' || g)) % 5]::"TicketType",
      (ARRAY['SUBMITTED','IN_REVIEW','MORE_INFO_REQUESTED','IN_REVIEW','COMPLETED','REJECTED','EXPIRED','COMPLETED'])[1 + abs(hashtext('status' || g)) % 8]::"TicketStatus",
      'bench' || g || '@example.com', ARRAY['passkey'],
      (CASE WHEN abs(hashtext('risk' || g)) % 7 = 0 THEN 'HIGH' ELSE 'LOW' END)::"RiskLevel",
      (CASE WHEN abs(hashtext('assignee' || g)) % 4 = 0 THEN NULL ELSE ${agents[0]!.id}::uuid END),
      ${now}::timestamp + ((abs(hashtext('sla' || g)) % 5000) * interval '1 minute') - interval '2 days',
      ${now}::timestamp - (g * interval '1 second'),
      ${now}::timestamp
    FROM generate_series(1, ${TICKETS}) AS g`;
  await db.$executeRawUnsafe('ANALYZE "RecoveryTicket"');

  const views: [string, QueueFilters, QueueSort][] = [
    ['open, by SLA', {}, 'sla'],
    ['open, newest', {}, 'newest'],
    ['in review, high risk', { status: 'IN_REVIEW', risk: 'HIGH' }, 'sla'],
    ['unassigned', { assignee: 'unassigned' }, 'sla'],
  ];
  const rows: Row[] = [];
  const plans: Record<string, string> = {};
  for (const [label, filters, sort] of views) {
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await listQueue({ db, agent: { agentId: supervisor.id }, filters, sort, limit: 50, now });
      samples.push(performance.now() - started);
    }
    const s = summarize(samples);
    rows.push({ measure: `queue use case, ${label}: p50 / p95`, value: `${ms(s.p50)} / ${ms(s.p95)}`, target: 'p95 < 100 ms', met: s.p95 < 100 });
    const [{ 'QUERY PLAN': plan }] = await db.$queryRaw<[{ 'QUERY PLAN': [{ Plan: unknown; 'Execution Time': number }] }]>(
      Prisma.sql`EXPLAIN (ANALYZE, FORMAT JSON) ${queueQuery({ agent: supervisor, filters, sort, take: 51 })}`,
    );
    plans[label] = describePlan(plan[0].Plan);
  }

  const cookie = await signInOverHttp(server.baseUrl, 'agent-password', {
    email: demoAccounts.supervisor.email,
    password: DEMO_PASSWORD,
    code: totp(DEMO_TOTP_SECRET, { time: new Date() }),
  });
  const pageSamples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    const response = await fetch(`${server.baseUrl}/console`, { headers: { Cookie: cookie } });
    await response.text();
    if (response.status !== 200) throw new Error(`GET /console answered ${response.status}`);
    pageSamples.push(performance.now() - started);
  }
  const page = summarize(pageSamples);
  rows.push({ measure: 'GET /console (queue page, signed in) p50 / p95', value: `${ms(page.p50)} / ${ms(page.p95)}`, target: 'p95 < 100 ms', met: page.p95 < 100 });
  for (const [label, plan] of Object.entries(plans)) rows.push({ measure: `plan, ${label}`, value: plan, target: 'index scans only', met: !/Seq Scan/.test(plan) });

  writeReport('queue', `Queue benchmark (${TICKETS.toLocaleString('en')} tickets)`, rows, { tickets: TICKETS, samples: SAMPLES, plans });
} finally {
  await db.$disconnect();
  await server.stop();
}

/** The scan nodes of a plan, e.g. "Index Scan using RecoveryTicket_status_type_slaDueAt_idx". */
function describePlan(node: unknown): string {
  const found: string[] = [];
  const walk = (n: { 'Node Type'?: string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: unknown[] }) => {
    if (n['Relation Name'] || n['Index Name']) found.push(`${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ` on ${n['Relation Name']}`}`);
    for (const child of n.Plans ?? []) walk(child as typeof n);
  };
  walk(node as Parameters<typeof walk>[0]);
  return [...new Set(found)].join('; ');
}
