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

/**
 * Chi-square test of homogeneity for two samples of categories: could both come from one
 * distribution? Categories whose expected count is under 5 in either sample are pooled (the
 * approximation needs it). Used to judge decoys against real answers (security.md rule 25).
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
