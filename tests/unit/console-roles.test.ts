import { describe, expect, it } from 'vitest';
import { CONSOLE_ROLES, mayAccess, ROLE_AREAS, roleMayUse, type RoleArea, type TicketAccessFacts, type TicketNeed } from '@/lib/access';

// docs/security.md rule 12: who may use which console area, and who may do what with a ticket.

describe('console areas by role', () => {
  const table: [RoleArea, Record<(typeof CONSOLE_ROLES)[number], boolean>][] = [
    ['auditLog', { AGENT: false, SUPERVISOR: true, ADMIN: true }],
    ['analytics', { AGENT: false, SUPERVISOR: true, ADMIN: true }],
    ['administration', { AGENT: false, SUPERVISOR: false, ADMIN: true }],
  ];
  it.each(table)('%s', (area, expected) => {
    for (const role of CONSOLE_ROLES) expect([role, roleMayUse(role, area)]).toEqual([role, expected[role]]);
  });
  it('names every area in the table', () => {
    expect(Object.keys(ROLE_AREAS).sort()).toEqual(table.map(([area]) => area).sort());
  });
});

describe('ticket rules', () => {
  const me = { id: 'me', name: 'Me', role: 'AGENT' as const };
  const facts = (over: Partial<TicketAccessFacts>): TicketAccessFacts => ({ status: 'IN_REVIEW', assigneeId: 'other', approvedById: null, confirmedById: null, ...over });
  const needs: TicketNeed[] = ['view', 'work', 'documents', 'claim', 'assign', 'confirm'];
  const allowed = (agent: typeof me | { id: string; name: string; role: 'SUPERVISOR' | 'ADMIN' }, ticket: TicketAccessFacts) => needs.filter((need) => mayAccess(agent, ticket, need));

  it('an agent sees nothing of a colleague’s ticket', () => expect(allowed(me, facts({}))).toEqual([]));
  it('an agent works their own', () => expect(allowed(me, facts({ assigneeId: 'me' }))).toEqual(['view', 'work', 'documents']));
  it('an agent claims an unassigned open ticket only', () => {
    expect(allowed(me, facts({ assigneeId: null }))).toEqual(['claim']);
    expect(allowed(me, facts({ assigneeId: null, status: 'APPROVED' }))).toEqual([]);
  });
  it('four-eyes: any other agent may check and confirm; never the first approver', () => {
    expect(allowed(me, facts({ approvedById: 'other' }))).toEqual(['view', 'documents', 'confirm']);
    expect(allowed({ ...me, role: 'SUPERVISOR' }, facts({ approvedById: 'me', assigneeId: 'me' }))).toEqual(['view', 'work', 'documents', 'assign']);
  });
  it('supervisors and admins see, work and assign every ticket', () => {
    for (const role of ['SUPERVISOR', 'ADMIN'] as const) expect(allowed({ ...me, role }, facts({}))).toEqual(['view', 'work', 'documents', 'assign']);
  });
});
