import { describe, expect, it } from 'vitest';
import { REFERENCE_ALPHABET, generateReference, parseReference } from '@/lib/recovery/tickets/reference';
import { TICKET_STATUSES, TICKET_TRANSITIONS, canTransition, isTerminal } from '@/lib/recovery/tickets/state';

// The ticket life cycle (docs/recovery-policy.md), written out here independently of lib/: a change to the
// table in lib/recovery/tickets/state.ts that is not also made here fails this test.
const ALLOWED = new Set([
  'SUBMITTED→IN_REVIEW',
  'SUBMITTED→REJECTED',
  'SUBMITTED→EXPIRED',
  'IN_REVIEW→MORE_INFO_REQUESTED',
  'IN_REVIEW→APPROVED',
  'IN_REVIEW→REJECTED',
  'MORE_INFO_REQUESTED→IN_REVIEW',
  'MORE_INFO_REQUESTED→REJECTED',
  'MORE_INFO_REQUESTED→EXPIRED',
  'APPROVED→COMPLETED',
  'APPROVED→REJECTED',
  'APPROVED→EXPIRED',
]);
const STATUSES = ['SUBMITTED', 'IN_REVIEW', 'MORE_INFO_REQUESTED', 'APPROVED', 'REJECTED', 'COMPLETED', 'EXPIRED'] as const;
const PAIRS = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to, ALLOWED.has(`${from}→${to}`)] as const));

describe('ticket state machine (transitions enforced in one place)', () => {
  it('covers every status of the schema', () => {
    expect([...TICKET_STATUSES].sort()).toEqual([...STATUSES].sort());
    expect(Object.keys(TICKET_TRANSITIONS).sort()).toEqual([...STATUSES].sort());
  });

  it.each(PAIRS)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('has exactly the allowed transitions, no more', () => {
    const table = Object.entries(TICKET_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
    expect(new Set(table)).toEqual(ALLOWED);
    expect(table).toHaveLength(ALLOWED.size);
  });

  it.each([
    ['REJECTED', true],
    ['COMPLETED', true],
    ['EXPIRED', true],
    ['SUBMITTED', false],
    ['IN_REVIEW', false],
    ['MORE_INFO_REQUESTED', false],
    ['APPROVED', false],
  ] as const)('%s is terminal: %s', (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
  });

  it('never approves without review, and never reopens a closed ticket', () => {
    expect(STATUSES.filter((from) => canTransition(from, 'APPROVED'))).toEqual(['IN_REVIEW']);
    for (const closed of ['REJECTED', 'COMPLETED', 'EXPIRED'] as const) {
      expect(STATUSES.filter((to) => canTransition(closed, to))).toEqual([]);
    }
    expect(STATUSES.filter((to) => canTransition(to, to))).toEqual([]);
  });
});

describe('ticket references', () => {
  it('are RG- and eight characters from an alphabet without look-alikes', () => {
    expect(REFERENCE_ALPHABET).not.toMatch(/[01OILU]/);
    expect(new Set(REFERENCE_ALPHABET).size).toBe(REFERENCE_ALPHABET.length);
    const refs = Array.from({ length: 2000 }, () => generateReference());
    for (const ref of refs) expect(ref).toMatch(/^RG-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}$/);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('draw every character from the random source', () => {
    const asked: number[] = [];
    const ref = generateReference((max) => {
      asked.push(max);
      return asked.length - 1;
    });
    expect(asked).toEqual(Array(8).fill(30));
    expect(ref).toBe('RG-2345-6789');
  });

  it.each([
    ['RG-7K4M-2Q9X', 'RG-7K4M-2Q9X'],
    [' rg-7k4m-2q9x ', 'RG-7K4M-2Q9X'],
    ['7K4M 2Q9X', 'RG-7K4M-2Q9X'],
    ['rg7k4m2q9x', 'RG-7K4M-2Q9X'],
  ])('reads %j as %s', (input, expected) => {
    expect(parseReference(input)).toBe(expected);
  });

  it.each(['', 'RG-7K4M', 'RG-7K4M-2Q9O', 'RG-7K4M-2Q9X-1', '<script>'])('refuses %j with a field error', (input) => {
    expect(() => parseReference(input)).toThrowError(expect.objectContaining({ code: 'validation_failed' }));
  });
});
