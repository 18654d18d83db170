import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity } from '../support/stats';

const repeat = (counts: Record<string, number>) => Object.entries(counts).flatMap(([k, n]) => Array<string>(n).fill(k));

// The decoy tests (security.md rule 25) trust this p-value.
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
