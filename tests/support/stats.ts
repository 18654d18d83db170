import { appendFileSync } from 'node:fs';

/**
 * Mann–Whitney U test (two-sided, normal approximation with tie correction): are two samples
 * drawn from the same distribution? Used for timing comparisons, where means are noisy.
 */
export function mannWhitneyU(a: number[], b: number[]): { u: number; z: number; p: number } {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const r1 = all.reduce((sum, item, i) => (item.g === 0 ? sum + ranks[i]! : sum), 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = sd === 0 ? 0 : (u - mean) / sd;
  return { u, z, p: 2 * (1 - normalCdf(Math.abs(z))) };
}

function normalCdf(x: number) {
  // Abramowitz–Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * (x / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-((x / Math.SQRT2) ** 2));
  return 0.5 * (1 + y);
}

export function median(values: number[]) {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The standard normal quantile (Acklam's rational approximation, relative error under 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The Hodges–Lehmann estimate of how far `a` sits above `b` (the median of every difference
 * a[i] - b[j]) with its distribution-free confidence interval, the one that inverts the Mann–Whitney
 * test (with the normal approximation for the critical rank). Unlike a difference of
 * means it shrugs off a few slow outliers, and unlike a p-value it says how big a difference could
 * hide in the data: a wide interval means the samples were too noisy to show anything.
 */
export function hodgesLehmann(a: number[], b: number[], confidence = 0.95): { shift: number; low: number; high: number } {
  if (a.length === 0 || b.length === 0) throw new RangeError('hodgesLehmann needs two non-empty samples');
  const differences = new Float64Array(a.length * b.length);
  let n = 0;
  for (const x of a) for (const y of b) differences[n++] = x - y;
  differences.sort();
  const m = a.length * b.length;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const sd = Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12);
  // k differences are cut off each end: the rank U must exceed for significance at 1 - confidence.
  const k = Math.max(0, Math.min(Math.floor((m - 1) / 2), Math.floor(m / 2 - z * sd)));
  const mid = m >> 1;
  const shift = m % 2 ? differences[mid]! : (differences[mid - 1]! + differences[mid]!) / 2;
  return { shift, low: differences[k]!, high: differences[m - 1 - k]! };
}

/**
 * Cliff's delta: P(a > b) - P(a < b) over every pair, from -1 to 1 (0: neither tends to be larger).
 * Equal to the rank-biserial correlation of the Mann–Whitney test. By the usual reading under 0.147
 * is negligible, under 0.33 small, under 0.474 medium.
 */
export function cliffsDelta(a: number[], b: number[]): number {
  let greater = 0;
  let less = 0;
  for (const x of a) {
    for (const y of b) {
      if (x > y) greater++;
      else if (x < y) less++;
    }
  }
  return (greater - less) / (a.length * b.length);
}

/**
 * With REGAIN_TIMING_LOG set to a file path, each timing verdict is appended to it as one line, so
 * passing runs can be compared too (the assertion message shows it only on failure).
 */
export function logTiming(test: string | undefined, summary: string, samples?: { a: number[]; b: number[] }) {
  const file = process.env.REGAIN_TIMING_LOG;
  if (!file) return;
  appendFileSync(file, `${new Date().toISOString()} ${test ?? '(unnamed)'}: ${summary}\n`);
  if (samples) appendFileSync(`${file}.samples.jsonl`, `${JSON.stringify({ test, ...samples })}\n`);
}

export type TimingComparison = {
  p: number;
  medianA: number;
  medianB: number;
  /** Hodges–Lehmann shift of a over b in ms, and its confidence interval. */
  shift: number;
  low: number;
  high: number;
  /** Cliff's delta of a over b (reported; the p-value check bounds it for a given sample size). */
  delta: number;
  /** Both checks hold: no significant difference, and the estimated shift is within the bound. */
  indistinguishable: boolean;
  /** The whole interval lies within ±boundMs: the samples were precise enough to rule out a leak of that size. */
  conclusive: boolean;
  /** The bound the shift was held to, in ms (boundMs, or more with relativeBound). */
  boundMs: number;
  /** What failed, in words; empty when indistinguishable. */
  failures: string[];
  summary: string;
};

/**
 * Judges two timing samples of the same operation (say, an existing and an unknown account). Two
 * checks must both hold:
 *
 * - **No significant difference**: the Mann–Whitney test does not reject "same distribution" at
 *   `alpha` (0.001 by default). A consistent leak of a millisecond or two is significant long before
 *   it is large, so this catches small leaks on a quiet machine, while noise alone trips it once in
 *   a thousand runs.
 * - **A small effect**: the Hodges–Lehmann shift (the median of every pairwise difference) is within
 *   ±`boundMs`. This catches a large leak hidden in noise, where a high p-value alone would let it
 *   pass. The estimate shrugs off the bursts of a shared machine, which move a few samples, not the
 *   median of all pairwise differences.
 *
 * `conclusive` says whether the `confidence` interval of the shift lies inside ±`boundMs` as well,
 * i.e. whether the samples were precise enough to rule out a leak of the bound's size. Callers that
 * can measure more (timePairs in the attack harness) keep measuring until it is, up to a limit; a
 * machine too busy to get there is judged on the two checks above.
 *
 * `relativeBound` (say 0.1) widens the bound to that fraction of the faster median when it is
 * larger: for CPU-bound work (password hashing) a busy machine stretches every call, the leak
 * being looked for included, so a fixed number of milliseconds would stop meaning the same thing.
 */
export function compareTimings(
  a: number[],
  b: number[],
  options: { boundMs: number; relativeBound?: number; alpha?: number; confidence?: number },
): TimingComparison {
  const { alpha = 0.001, confidence = 0.95 } = options;
  const { p } = mannWhitneyU(a, b);
  const { shift, low, high } = hodgesLehmann(a, b, confidence);
  const delta = cliffsDelta(a, b);
  const medianA = median(a);
  const medianB = median(b);
  const boundMs = Math.max(options.boundMs, (options.relativeBound ?? 0) * Math.min(medianA, medianB));
  const failures: string[] = [];
  if (!(p > alpha)) failures.push(`significant difference (p=${p.toExponential(2)} ≤ ${alpha})`);
  if (!(Math.abs(shift) < boundMs)) failures.push(`the shift ${shift.toFixed(2)} ms is not within ±${+boundMs.toFixed(2)} ms`);
  const conclusive = low > -boundMs && high < boundMs;
  const summary =
    `n=${a.length}+${b.length}, p=${p.toFixed(4)}, medians ${medianA.toFixed(2)} vs ${medianB.toFixed(2)} ms, ` +
    `shift ${shift.toFixed(2)} ms (${Math.round(confidence * 100)}% [${low.toFixed(2)}, ${high.toFixed(2)}]${conclusive ? '' : `, wider than ±${+boundMs.toFixed(2)}`}), ` +
    `Cliff's δ ${delta.toFixed(2)}` +
    (failures.length ? `; ${failures.join('; ')}` : '');
  return { p, medianA, medianB, shift, low, high, delta, indistinguishable: failures.length === 0, conclusive, boundMs, failures, summary };
}

/**
 * Chi-square test of homogeneity for two samples of categories: could both come from one
 * distribution? Categories whose expected count is under 5 in either sample are pooled (the
 * approximation needs it). Used to judge decoys against real answers (docs/security.md rule 25).
 */
export function chiSquareHomogeneity(a: string[], b: string[]): { chi2: number; df: number; p: number; table: Record<string, [number, number]> } {
  const counts = new Map<string, [number, number]>();
  for (const [group, values] of [a, b].entries()) {
    for (const v of values) {
      const row = counts.get(v) ?? [0, 0];
      row[group]! += 1;
      counts.set(v, row);
    }
  }
  const total = a.length + b.length;
  const expectedMin = (row: [number, number]) => (Math.min(a.length, b.length) * (row[0] + row[1])) / total;
  const table: Record<string, [number, number]> = {};
  const pooled: [number, number] = [0, 0];
  for (const [key, row] of [...counts.entries()].sort(([x], [y]) => x.localeCompare(y))) {
    if (expectedMin(row) < 5) {
      pooled[0] += row[0];
      pooled[1] += row[1];
    } else table[key] = row;
  }
  if (pooled[0] + pooled[1] > 0) {
    // A pooled bucket still too small joins the smallest real category.
    const smallest = Object.entries(table).sort(([, x], [, y]) => x[0] + x[1] - (y[0] + y[1]))[0];
    if (expectedMin(pooled) < 5 && smallest) table[smallest[0]] = [smallest[1][0] + pooled[0], smallest[1][1] + pooled[1]];
    else table['(rare, pooled)'] = pooled;
  }
  const rows = Object.values(table);
  let chi2 = 0;
  for (const row of rows) {
    for (const group of [0, 1] as const) {
      const expected = ((group === 0 ? a.length : b.length) * (row[0] + row[1])) / total;
      if (expected > 0) chi2 += (row[group] - expected) ** 2 / expected;
    }
  }
  const df = rows.length - 1;
  return { chi2, df, p: df < 1 ? 1 : gammaQ(df / 2, chi2 / 2), table };
}

/** Regularised upper incomplete gamma Q(s, x) (series and continued fraction, Numerical Recipes §6.2). */
function gammaQ(s: number, x: number): number {
  if (x <= 0) return 1;
  const lnPrefix = -x + s * Math.log(x) - lnGamma(s);
  if (x < s + 1) {
    let term = 1 / s;
    let sum = term;
    for (let n = 1; n < 500; n++) {
      term *= x / (s + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - s;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** ln Γ(z) by the Lanczos approximation (g = 7, n = 9). */
function lnGamma(z: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const zz = z - 1;
  let x = g[0]!;
  for (let i = 1; i < 9; i++) x += g[i]! / (zz + i);
  const t = zz + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(x);
}
