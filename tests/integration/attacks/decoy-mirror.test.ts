import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Db } from '@/lib/db/client';
import { getChallengeView, resendCode, startRecovery, type ChallengeView, type VerificationDeps } from '@/lib/verification/challenges';
import { maskEmail, maskPhone } from '@/lib/verification/identifiers';
import { capturingDelivery, collectingScheduler, fixedClock } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { nextIp } from '../../support/factories';
import { chiSquareHomogeneity } from '../../support/stats';
import { keys, shapeOf, T0, UA } from './harness';

/**
 * Decoys that tell (docs/security.md rules 13 and 25), judged from the attacker's side: start recovery
 * for many identifiers that have an account and as many that have none, walk the code ladder
 * (email, text, call) for each, and compare every field an attacker sees. A single pair can look
 * alike by luck; the distributions over many identifiers (channel, country code, email domain,
 * first letter) must match too, by a chi-square test, for whatever mix of accounts the database
 * holds. Each mix gets its own database, because decoys follow the accounts that exist.
 */

type Country = { cc: string; digits: number; weight: number };
type Mix = {
  countries: Country[];
  domains: [string, number][];
  /** Shares of accounts with a verified phone, an unverified one, and none. */
  phones: { verified: number; unverified: number; none: number };
};

// Letters deliberately uneven (as real names are): a decoy drawing letters uniformly would show.
const NAMES: [string, number][] = [['anna', 9], ['ben', 7], ['chloe', 6], ['dev', 5], ['emma', 5], ['jo', 4], ['kai', 3], ['lena', 3], ['mo', 2], ['raj', 2], ['sara', 2], ['zoe', 1]];

const MIXED: Mix = {
  countries: [
    { cc: '44', digits: 10, weight: 30 },
    { cc: '49', digits: 11, weight: 25 },
    { cc: '1', digits: 10, weight: 20 },
    { cc: '91', digits: 10, weight: 15 },
    { cc: '353', digits: 9, weight: 10 },
  ],
  domains: [['gmail.com', 35], ['web.de', 15], ['outlook.com', 15], ['yahoo.in', 10], ['example.co.uk', 10], ['firm.example', 15]],
  phones: { verified: 55, unverified: 10, none: 35 },
};
const ALL_GERMAN: Mix = { countries: [{ cc: '49', digits: 11, weight: 1 }], domains: [['web.de', 1]], phones: { verified: 1, unverified: 0, none: 0 } };
const NO_VERIFIED_PHONE: Mix = { countries: MIXED.countries, domains: MIXED.domains, phones: { verified: 0, unverified: 1, none: 1 } };

function pick<T>(items: [T, number][]): T {
  let r = Math.random() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, w] of items) if ((r -= w) < 0) return item;
  return items.at(-1)![0];
}
const digits = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 1 + Math.floor(Math.random() * 9) : Math.floor(Math.random() * 10))).join('');
const numberIn = (mix: Mix) => {
  const country = pick(mix.countries.map((c) => [c, c.weight] as [Country, number]));
  return `+${country.cc}${digits(country.digits)}`;
};
const emailIn = (mix: Mix) => `${pick(NAMES)}.${randomBytes(4).toString('hex')}@${pick(mix.domains)}`;

async function seedAccounts(db: Db, mix: Mix, count: number) {
  const phones = new Set<string>();
  const rows = Array.from({ length: count }, (_, i) => {
    const status = pick<keyof Mix['phones']>([['verified', mix.phones.verified], ['unverified', mix.phones.unverified], ['none', mix.phones.none]]);
    let phone: string | null = null;
    if (status !== 'none') do phone = numberIn(mix); while (phones.has(phone));
    if (phone) phones.add(phone);
    return { email: emailIn(mix), emailVerifiedAt: T0, phone, phoneVerifiedAt: status === 'verified' ? T0 : null, displayName: `Mirror ${i}` };
  });
  await db.user.createMany({ data: rows });
  return rows;
}

function sample<T>(items: T[], n: number) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/** Real and unknown identifiers of the same kinds, drawn the same way. */
async function identifiersFor(db: Db, mix: Mix, n: number, accountCount: number) {
  const accounts = await seedAccounts(db, mix, accountCount);
  const taken = new Set(accounts.flatMap((a) => [a.email, a.phone ?? '']));
  const fresh = (make: () => string) => {
    let value: string;
    do value = make(); while (taken.has(value));
    taken.add(value);
    return value;
  };
  const verifiedPhones = accounts.filter((a) => a.phoneVerifiedAt).map((a) => a.phone!);
  return {
    real: { email: sample(accounts.map((a) => a.email), n), phone: sample(verifiedPhones, n) },
    unknown: { email: Array.from({ length: n }, () => fresh(() => emailIn(mix))), phone: Array.from({ length: n }, () => fresh(() => numberIn(mix))) },
  };
}

type Ladder = { typed: string; start: ChallengeView; email: ChallengeView; sms: ChallengeView; voice: ChallengeView };

/**
 * What an attacker sees for each identifier: the start, then "Email me a code", "Text me a new
 * code" and "Call me instead", each after its cooldown. Real and unknown identifiers interleave.
 */
async function walkLadders(db: Db, groups: string[][]): Promise<Ladder[][]> {
  const clock = fixedClock(T0);
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey: keys.hmacKey, delivery: capturingDelivery().delivery, now: clock.now, schedule: scheduler.schedule };
  const order = groups.flatMap((ids, g) => ids.map((typed, i) => ({ g, i, typed }))).sort((x, y) => x.i - y.i || x.g - y.g);
  const started = new Map<string, { challengeId: string; start: ChallengeView }>();
  for (const { typed } of order) {
    const { challengeId, view } = await startRecovery(deps, { identifier: typed, ip: nextIp(), userAgent: UA });
    started.set(typed, { challengeId, start: view! });
  }
  const resent = new Map<string, Partial<Ladder>>();
  // Cooldowns grow 30 s, 60 s, 120 s (policy.ts); each step waits out the one before it.
  for (const [channel, wait] of [['email', 30], ['sms', 60], ['voice', 120]] as const) {
    clock.advance(wait);
    for (const { typed } of order) {
      const view = await resendCode(deps, { challengeId: started.get(typed)!.challengeId, channel, ip: nextIp() });
      resent.set(typed, { ...resent.get(typed), [channel]: view });
    }
  }
  await scheduler.flush();
  return groups.map((ids) => ids.map((typed) => ({ typed, start: started.get(typed)!.start, ...resent.get(typed) }) as Ladder));
}

const countryOf = (masked: string) => /^\+(\d{1,2}) ••• ••• \d{2} \d{2}$/.exec(masked)?.[1] ?? `malformed:${masked}`;
const domainOf = (masked: string) => /^.•••@(.+)$/.exec(masked)?.[1] ?? `malformed:${masked}`;
const letterOf = (masked: string) => /^(.)•••@/.exec(masked)?.[1] ?? `malformed:${masked}`;

/** What the start page shows for an address typed in: a text to a number (which country), or email to the typed address. */
const startAnswer = (l: Ladder) => (l.start.channel === 'sms' ? `sms to +${countryOf(l.start.destination)}` : `${l.start.channel} to ${l.start.destination === maskEmail(l.typed) ? 'the typed address' : 'another address'}`);

function expectSameDistribution(feature: string, real: string[], decoy: string[]) {
  const result = chiSquareHomogeneity(real, decoy);
  // A real difference gives p far below 1e-6 with these sample sizes; 1e-4 keeps chance failures rare.
  expect(result.p, `${feature}: χ²=${result.chi2.toFixed(1)}, df=${result.df}, p=${result.p.toExponential(2)}; [real, decoy] counts ${JSON.stringify(result.table)}`).toBeGreaterThan(1e-4);
}

/** Every field but the destination is the same for every view of one step; destinations are well-formed masks. */
function expectSameShape(views: ChallengeView[], channel: ChallengeView['channel'] | 'sms|email') {
  const { destination: _d, channel: _c, ...first } = views[0]!;
  for (const view of views) {
    const { destination, channel: got, ...rest } = view;
    expect(shapeOf(view)).toEqual(shapeOf(views[0]));
    expect(rest).toEqual(first);
    expect(channel === 'sms|email' ? ['sms', 'email'] : [channel]).toContain(got);
    expect(destination).toMatch(got === 'email' ? /^[^•@\s]•••@[^@\s]+\.[^@\s]+$/ : /^\+\d{1,2} ••• ••• \d{2} \d{2}$/);
  }
}

const N = 120;
const mixed = await useTestDatabase();
const german = await useTestDatabase();
const phoneless = await useTestDatabase();
const failing = await useTestDatabase();

describe('decoys mirror real answers in every field, over many identifiers (rule 25)', () => {
  it('a mixed account base: channel, country code, email mask and domain, and every resend, distributed as for real accounts', { timeout: 180_000 }, async () => {
    const ids = await identifiersFor(mixed.db, MIXED, N, 2000);
    const [realByEmail, decoyByEmail, realByPhone, decoyByPhone] = await walkLadders(mixed.db, [ids.real.email, ids.unknown.email, ids.real.phone, ids.unknown.phone]);
    const all = [...realByEmail!, ...decoyByEmail!, ...realByPhone!, ...decoyByPhone!];

    // Same fields, same values (status, attempts, expiry, cooldown, delivery problem) at every step.
    expectSameShape(all.map((l) => l.start), 'sms|email');
    expectSameShape(all.map((l) => l.email), 'email');
    expectSameShape(all.map((l) => l.sms), 'sms');
    expectSameShape(all.map((l) => l.voice), 'voice');

    // Typed as an address: which channel it starts on and, for a text, the number's country.
    expectSameDistribution('start, typed email', realByEmail!.map(startAnswer), decoyByEmail!.map(startAnswer));
    // "Email me a code" goes to the typed address, masked: for a real account it IS that address.
    for (const l of [...realByEmail!, ...decoyByEmail!]) expect(l.email.destination, l.typed).toBe(maskEmail(l.typed));
    // "Text me" / "Call me": a real number's country, or a stand-in shaped like one; the same number both times.
    expectSameDistribution('text resend country, typed email', realByEmail!.map((l) => countryOf(l.sms.destination)), decoyByEmail!.map((l) => countryOf(l.sms.destination)));
    for (const l of [...realByEmail!, ...decoyByEmail!]) {
      expect(l.voice.destination).toBe(l.sms.destination);
      if (l.start.channel === 'sms') expect(l.sms.destination).toBe(l.start.destination);
    }

    // Typed as a phone number: a text to that number, then the account's own email address.
    for (const l of [...realByPhone!, ...decoyByPhone!]) {
      expect(l.start).toMatchObject({ channel: 'sms', destination: maskPhone(l.typed) });
      expect([l.sms.destination, l.voice.destination]).toEqual([maskPhone(l.typed), maskPhone(l.typed)]);
    }
    expectSameDistribution('email resend domain, typed phone', realByPhone!.map((l) => domainOf(l.email.destination)), decoyByPhone!.map((l) => domainOf(l.email.destination)));
    expectSameDistribution('email resend first letter, typed phone', realByPhone!.map((l) => letterOf(l.email.destination)), decoyByPhone!.map((l) => letterOf(l.email.destination)));
    expectSameDistribution(
      'mask lengths, every step',
      [...realByEmail!, ...realByPhone!].flatMap((l) => [l.start, l.email, l.sms].map((v) => `${v.channel}:${v.destination.length}`)),
      [...decoyByEmail!, ...decoyByPhone!].flatMap((l) => [l.start, l.email, l.sms].map((v) => `${v.channel}:${v.destination.length}`)),
    );

    // Stable: the same unknown identifier, asked again later, gets the same answer (as a real one does).
    const clock = fixedClock(new Date(T0.getTime() + 3_600_000));
    const deps: VerificationDeps = { db: mixed.db, hmacKey: keys.hmacKey, delivery: capturingDelivery().delivery, now: clock.now, schedule: collectingScheduler().schedule };
    for (const l of [...decoyByEmail!.slice(0, 20), ...decoyByPhone!.slice(0, 20)]) {
      const again = await startRecovery(deps, { identifier: l.typed, ip: nextIp(), userAgent: UA });
      expect([again.view!.channel, again.view!.destination]).toEqual([l.start.channel, l.start.destination]);
      clock.advance(30);
      const email = await resendCode(deps, { challengeId: again.challengeId, channel: 'email', ip: nextIp() });
      expect(email!.destination).toBe(l.email.destination);
    }
  });

  it('every account is German with a verified phone: every decoy starts with a text to a +49 number and mails a web.de address', { timeout: 120_000 }, async () => {
    const ids = await identifiersFor(german.db, ALL_GERMAN, 60, 500);
    // Unknown addresses at other domains too: the typed address is shown, the rest follows the accounts.
    const elsewhere = Array.from({ length: 30 }, () => emailIn(MIXED));
    const [realByEmail, decoyByEmail, decoyByPhone] = await walkLadders(german.db, [ids.real.email, [...ids.unknown.email, ...elsewhere], ids.unknown.phone]);
    for (const l of [...realByEmail!, ...decoyByEmail!]) {
      expect(startAnswer(l), l.typed).toBe('sms to +49');
      expect(countryOf(l.sms.destination)).toBe('49');
      expect(l.email.destination).toBe(maskEmail(l.typed));
    }
    for (const l of decoyByPhone!) expect(domainOf(l.email.destination)).toBe('web.de');
    // The digits shown are not one account's: they differ from decoy to decoy.
    expect(new Set(decoyByEmail!.map((l) => l.start.destination)).size).toBeGreaterThan(decoyByEmail!.length * 0.9);
  });

  it('no account has a verified phone: every decoy starts by email to the typed address, like every real account', { timeout: 120_000 }, async () => {
    const ids = await identifiersFor(phoneless.db, NO_VERIFIED_PHONE, 60, 500);
    const [realByEmail, decoyByEmail] = await walkLadders(phoneless.db, [ids.real.email, ids.unknown.email]);
    for (const l of [...realByEmail!, ...decoyByEmail!]) {
      expect(startAnswer(l), l.typed).toBe('email to the typed address');
      expect(l.email.destination).toBe(maskEmail(l.typed));
    }
    // "Text me" has no number to go to, real or not: the same stand-in shape for both.
    expectSameDistribution('text resend country, no verified phones', realByEmail!.map((l) => countryOf(l.sms.destination)), decoyByEmail!.map((l) => countryOf(l.sms.destination)));
    expectSameShape([...realByEmail!, ...decoyByEmail!].map((l) => l.sms), 'sms');
  });

  it('a code fails to arrive as often for a decoy as for a real account', { timeout: 120_000 }, async () => {
    const { db } = failing;
    const ids = await identifiersFor(db, MIXED, 200, 1000);
    // Last week's real recovery codes: one text in four and one email in ten did not arrive.
    const history = (channel: 'SMS' | 'EMAIL', total: number, failed: number) =>
      Array.from({ length: total }, (_, i) => ({
        channel,
        to: 'masked',
        bodyText: 'masked',
        purpose: 'recovery-code',
        provider: 'test',
        status: i < failed ? ('FAILED' as const) : ('DELIVERED' as const),
        createdAt: new Date(T0.getTime() - 86_400_000),
      }));
    await db.outboundMessage.createMany({ data: [...history('SMS', 400, 100), ...history('EMAIL', 400, 40)] });

    const clock = fixedClock(T0);
    const deps: VerificationDeps = { db, hmacKey: keys.hmacKey, delivery: capturingDelivery().delivery, now: clock.now, schedule: collectingScheduler().schedule };
    const started = { real: [] as { challengeId: string; view: ChallengeView }[], decoy: [] as { challengeId: string; view: ChallengeView }[] };
    for (let i = 0; i < ids.real.email.length; i++) {
      for (const [group, typed] of [['real', ids.real.email[i]!], ['decoy', ids.unknown.email[i]!]] as const) {
        const { challengeId, view } = await startRecovery(deps, { identifier: typed, ip: nextIp(), userAgent: UA });
        started[group].push({ challengeId, view: view! });
      }
    }
    // The provider answers for the real sends at the same rates (a status callback or an SMTP refusal).
    for (const { challengeId, view } of started.real) {
      const channel = view.channel === 'sms' ? 'SMS' : 'EMAIL';
      if (Math.random() < (channel === 'SMS' ? 0.25 : 0.1)) {
        await db.outboundMessage.create({ data: { ...history(channel, 1, 1)[0]!, challengeId, createdAt: clock.now() } });
      }
    }
    clock.advance(15);
    const problems = async (group: keyof typeof started) =>
      Promise.all(started[group].map(async ({ challengeId }) => (await getChallengeView(deps, challengeId))!.deliveryProblem ?? 'none'));
    expectSameDistribution('delivery problem shown after start', await problems('real'), await problems('decoy'));
  });
});
