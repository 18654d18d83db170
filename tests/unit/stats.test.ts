import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity, cliffsDelta, compareTimings, hodgesLehmann, mannWhitneyU, normalQuantile } from '../support/stats';

const repeat = (counts: Record<string, number>) => Object.entries(counts).flatMap(([k, n]) => Array<string>(n).fill(k));

// The decoy tests (docs/security.md rule 25) trust this p-value.
describe('chiSquareHomogeneity', () => {
  it('a 2×2 table: 50/50 against 70/30 gives χ² 8.333, df 1, p 0.00389 (published tables)', () => {
    const result = chiSquareHomogeneity(repeat({ x: 50, y: 50 }), repeat({ x: 70, y: 30 }));
    expect(result.chi2).toBeCloseTo(8.333, 3);
    expect(result.df).toBe(1);
    expect(result.p).toBeCloseTo(0.00389, 5);
  });

  it('identical samples: χ² 0, p 1', () => {
    const result = chiSquareHomogeneity(repeat({ a: 100, b: 100, c: 100 }), repeat({ a: 100, b: 100, c: 100 }));
    expect(result).toMatchObject({ chi2: 0, df: 2, p: 1 });
  });

  it.each([
    // Even degrees of freedom have closed forms: Q = e^{-x/2} for df 2, e^{-x/2}(1 + x/2) for df 4.
    [{ a: 55, b: 45, c: 50 }, { a: 45, b: 55, c: 50 }, (x: number) => Math.exp(-x / 2)],
    [{ a: 60, b: 40, c: 40, d: 40, e: 20 }, { a: 40, b: 40, c: 40, d: 40, e: 40 }, (x: number) => Math.exp(-x / 2) * (1 + x / 2)],
    [{ a: 90, b: 10, c: 40, d: 40, e: 20 }, { a: 10, b: 90, c: 40, d: 40, e: 40 }, (x: number) => Math.exp(-x / 2) * (1 + x / 2)],
  ])('matches the closed form for %o vs %o', (a, b, closedForm) => {
    const result = chiSquareHomogeneity(repeat(a), repeat(b));
    expect(result.p).toBeCloseTo(closedForm(result.chi2), 10);
  });

  it('pools categories too rare for the approximation into the smallest one', () => {
    const result = chiSquareHomogeneity(repeat({ a: 50, b: 40, r1: 1, r2: 2 }), repeat({ a: 50, b: 40, r3: 1 }));
    expect(result.table).toEqual({ a: [50, 50], b: [43, 41] });
    expect(result.df).toBe(1);
  });
});

// ───────────────────────────── Timing comparisons ─────────────────────────────
//
// The enumeration timing tests (docs/security.md rule 13) trust compareTimings. Samples here come
// from a seeded generator shaped like request timings on a shared machine: a base time, skewed
// jitter, and now and then a burst of 5-30 ms. Seeds make every run of these tests the same.

/** mulberry32: a small seeded generator, enough for test data. */
function seeded(seed: number) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function timings(random: () => number, options: { n?: number; base?: number; jitter?: number; bursts?: number } = {}) {
  const { n = 30, base = 20, jitter = 1.5, bursts = 0.05 } = options;
  return Array.from({ length: n }, () => {
    // Log-normal jitter (right-skewed like real latencies) plus rare bursts.
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const burst = random() < bursts ? 5 + 25 * random() : 0;
    return base + jitter * (Math.exp(0.5 * normal) - 1) + burst;
  });
}

const TRIALS = 300;

function passRate(make: (random: () => number) => [number[], number[]], options: { boundMs: number; alpha?: number }, trials = TRIALS) {
  let passed = 0;
  for (let seed = 1; seed <= trials; seed++) {
    const [a, b] = make(seeded(seed));
    if (compareTimings(a, b, options).indistinguishable) passed++;
  }
  return passed / trials;
}

describe('normalQuantile', () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959964],
    [0.995, 2.575829],
    [0.9995, 3.290527],
    [0.001, -3.090232],
    [0.01, -2.326348],
  ])('Φ⁻¹(%d) = %d (published tables)', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 5);
  });
});

describe('hodgesLehmann', () => {
  it('is the median of every pairwise difference', () => {
    expect(hodgesLehmann([1, 2, 3], [0]).shift).toBe(2);
    expect(hodgesLehmann([10, 11], [1, 2]).shift).toBe(9);
  });

  it('finds a constant shift exactly, whatever the outliers', () => {
    const b = [20, 21, 19.5, 22, 80, 20.4, 18.9, 25, 20.1, 19.7];
    const a = b.map((v) => v + 4);
    expect(hodgesLehmann(a, b).shift).toBeCloseTo(4, 10);
    expect(hodgesLehmann(b, a).shift).toBeCloseTo(-4, 10);
  });

  it('the interval holds the estimate and widens with confidence and noise', () => {
    const random = seeded(7);
    const [a, b] = [timings(random), timings(random)];
    const c95 = hodgesLehmann(a, b, 0.95);
    const c99 = hodgesLehmann(a, b, 0.99);
    expect(c95.low).toBeLessThanOrEqual(c95.shift);
    expect(c95.high).toBeGreaterThanOrEqual(c95.shift);
    expect(c99.high - c99.low).toBeGreaterThan(c95.high - c95.low);
    const noisy = seeded(7);
    const wide = hodgesLehmann(timings(noisy, { jitter: 15 }), timings(noisy, { jitter: 15 }));
    expect(wide.high - wide.low).toBeGreaterThan(c95.high - c95.low);
  });

  it('the 95% interval covers the true shift in about 95% of samples', () => {
    let covered = 0;
    for (let seed = 1; seed <= TRIALS; seed++) {
      const random = seeded(seed);
      const { low, high } = hodgesLehmann(timings(random, { base: 22 }), timings(random, { base: 20 }), 0.95);
      if (low <= 2 && 2 <= high) covered++;
    }
    expect(covered / TRIALS).toBeGreaterThan(0.9);
    expect(covered / TRIALS).toBeLessThan(0.99);
  });
});

describe('cliffsDelta', () => {
  it('is 1, -1 or 0 for separated or identical samples', () => {
    expect(cliffsDelta([5, 6, 7], [1, 2])).toBe(1);
    expect(cliffsDelta([1, 2], [5, 6, 7])).toBe(-1);
    expect(cliffsDelta([1, 2, 3], [1, 2, 3])).toBe(0);
  });

  it('equals the rank-biserial correlation 2U/(n₁n₂) - 1 of the Mann–Whitney test', () => {
    const random = seeded(3);
    const [a, b] = [timings(random, { n: 25 }), timings(random, { n: 35, base: 21 })];
    expect(cliffsDelta(a, b)).toBeCloseTo((2 * mannWhitneyU(a, b).u) / (a.length * b.length) - 1, 12);
  });
});

describe('compareTimings', () => {
  const quiet = (base = 20) => (random: () => number) => timings(random, { base });
  // A busy machine: 4x the jitter, 1 call in 10 caught in a burst; timePairs then measures 150 pairs.
  const busy = (base = 20) => (random: () => number) => timings(random, { base, jitter: 6, bursts: 0.1, n: 150 });
  const pair = (a: (r: () => number) => number[], b: (r: () => number) => number[]) => (random: () => number): [number[], number[]] => [a(random), b(random)];

  it('two samples from one distribution pass (in at least 99% of seeded trials)', () => {
    expect(passRate(pair(quiet(), quiet()), { boundMs: 3 })).toBeGreaterThanOrEqual(0.99);
  });

  it('also on a busy machine', () => {
    expect(passRate(pair(busy(), busy()), { boundMs: 3 }, 100)).toBeGreaterThanOrEqual(0.99);
  });

  it('a 5 ms leak fails every time, quiet or busy, whichever side is slower', () => {
    expect(passRate(pair(quiet(25), quiet()), { boundMs: 3 })).toBe(0);
    expect(passRate(pair(quiet(), quiet(25)), { boundMs: 3 })).toBe(0);
    expect(passRate(pair(busy(25), busy()), { boundMs: 3 }, 100)).toBe(0);
    expect(passRate(pair(busy(), busy(25)), { boundMs: 3 }, 100)).toBe(0);
  });

  it('a 2 ms leak on a quiet machine fails on significance, though it is inside the bound', () => {
    const random = seeded(11);
    const verdict = compareTimings(timings(random, { base: 22, jitter: 0.5 }), timings(random, { jitter: 0.5 }), { boundMs: 3 });
    expect(verdict.indistinguishable).toBe(false);
    expect(verdict.p).toBeLessThan(0.001);
    expect(Math.abs(verdict.shift)).toBeLessThan(3);
    expect(verdict.failures).toEqual([expect.stringMatching(/^significant difference/)]);
    expect(passRate((r) => [timings(r, { base: 22, jitter: 0.5 }), timings(r, { jitter: 0.5 })], { boundMs: 3 })).toBe(0);
  });

  it('a large leak hidden in noise fails on the shift, though it is not significant', () => {
    // 8 ms of difference under 40 ms of jitter: Mann–Whitney alone would pass it.
    const random = seeded(5);
    const verdict = compareTimings(timings(random, { base: 28, jitter: 40, n: 12 }), timings(random, { jitter: 40, n: 12 }), { boundMs: 3 });
    expect(verdict.p).toBeGreaterThan(0.001);
    expect(verdict.indistinguishable).toBe(false);
    expect(verdict.failures).toEqual([expect.stringMatching(/^the shift .* is not within ±3 ms/)]);
  });

  it('is conclusive only when the whole interval lies inside the bound', () => {
    const random = seeded(2);
    expect(compareTimings(timings(random), timings(random), { boundMs: 3 }).conclusive).toBe(true);
    expect(compareTimings(timings(random, { jitter: 30, n: 20 }), timings(random, { jitter: 30, n: 20 }), { boundMs: 3 }).conclusive).toBe(false);
  });

  it('relativeBound widens the bound to a fraction of the faster median, never narrows it', () => {
    const random = seeded(9);
    // A 6 ms shift on 80 ms calls (a busy machine stretching a password hash): within 10% of the median.
    const slow = compareTimings(timings(random, { base: 86 }), timings(random, { base: 80 }), { boundMs: 5, relativeBound: 0.1 });
    expect(slow.boundMs).toBeCloseTo(8, 0);
    expect(slow.failures.join()).not.toMatch(/shift/);
    // On 20 ms calls the fixed 5 ms stays the bound, and a 6 ms shift fails it.
    const quick = compareTimings(timings(random, { base: 26, jitter: 6 }), timings(random, { base: 20, jitter: 6 }), { boundMs: 5, relativeBound: 0.1 });
    expect(quick.boundMs).toBe(5);
    expect(quick.failures.join()).toMatch(/the shift .* is not within ±5 ms/);
  });

  it('reports the numbers it judged by', () => {
    const verdict = compareTimings([10, 11, 12, 13], [10, 11, 12, 13], { boundMs: 3 });
    expect(verdict).toMatchObject({ shift: 0, delta: 0, medianA: 11.5, medianB: 11.5, indistinguishable: true, failures: [] });
    expect(verdict.summary).toMatch(/^n=4\+4, p=1\.0000, medians 11\.50 vs 11\.50 ms, shift 0\.00 ms \(95% \[-?\d+\.\d\d, \d+\.\d\d\]/);
  });
});
