import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { approvalChoices } from '@/lib/sessions/approvals';

describe('number matching choices (docs/security.md rule 22)', () => {
  it('are three different two-digit numbers, one of them the number on the requesting screen', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 10, max: 99 }), (challengeId, number) => {
        const choices = approvalChoices(key, challengeId, number);
        expect(choices).toHaveLength(3);
        expect(new Set(choices).size).toBe(3);
        expect(choices).toContain(number);
        for (const n of choices) expect(n >= 10 && n <= 99 && Number.isInteger(n)).toBe(true);
        // A reload shows the same three in the same order.
        expect(approvalChoices(key, challengeId, number)).toEqual(choices);
      }),
    );
  });

  it('put the right number in every position about equally often, so its place gives nothing away', () => {
    const key = randomBytes(32);
    const positions = [0, 0, 0];
    for (let i = 0; i < 3000; i++) positions[approvalChoices(key, randomUUID(), 55).indexOf(55)]!++;
    for (const count of positions) expect(count).toBeGreaterThan(800);
  });
});
