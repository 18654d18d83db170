import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTicketForAgent, openFaceCropForAgent } from '@/lib/recovery/console';
import type { DocumentKind } from '@/lib/db/generated/client';
import {
  attachTicketDocument,
  createDecodePool,
  createLocalFaceCheck,
  FACE_MATCH_MODEL_VERSION,
  FACE_MATCH_THRESHOLD,
  locateFace,
  stopFaceMatcher,
  warmFaceMatcher,
  type FaceCheckOutcome,
  type ImageInfo,
} from '@/lib/recovery/documents';
import { useTestDatabase } from '../support/db';
import { documentFront, groupPhoto, selfie, type Person } from '../support/faces';
import { photo } from '../support/images';

/**
 * The local face match on real photographs (tests/support/faces.ts cuts them from the group photos
 * in the installed face-api package): the same face under re-encoding, scaling and a change of light
 * is "similar"; two different people are not; a selfie with no face or several faces, and a document
 * front with no face photo, are refused. Then the whole upload path on real PostgreSQL: what is
 * stored is the outcome, the distance, the threshold and the model version, never a descriptor.
 */
const { db } = await useTestDatabase();
const masterKey = randomBytes(32);
const NOW = new Date('2026-05-01T12:00:00Z');
const check = createLocalFaceCheck();

const info = (data: Buffer): ImageInfo => ({ mimeType: 'image/jpeg', width: null, height: null, data });

beforeAll(async () => {
  await warmFaceMatcher();
}, 60_000);
afterAll(async () => {
  await stopFaceMatcher();
});

function match(outcome: FaceCheckOutcome) {
  expect(outcome.status).toBe('ready_for_review');
  const faceMatch = outcome.status === 'ready_for_review' ? outcome.faceMatch : undefined;
  if (!faceMatch || faceMatch.result === 'unavailable') throw new Error(`expected a face match, got ${JSON.stringify(outcome)}`);
  expect(faceMatch.threshold).toBe(FACE_MATCH_THRESHOLD);
  expect(faceMatch.modelVersion).toBe(FACE_MATCH_MODEL_VERSION);
  return faceMatch;
}

describe('same face, changed the way a card photo is changed', () => {
  const cases: [string, () => Promise<[Buffer, Buffer]>][] = [
    ['printed on a card (re-encoded, smaller)', async () => [await selfie('s1a'), await documentFront('s1a')]],
    ['heavily re-encoded on both sides', async () => [await selfie('s6a', { quality: 40 }), await documentFront('s6a', { quality: 35 })]],
    ['scaled down: a 520 px selfie and a 150 px portrait', async () => [await selfie('s6a', { side: 520 }), await documentFront('s6a', { portraitHeight: 150 })]],
    ['relit: a darker selfie and a brighter card', async () => [await selfie('s6b', { brightness: 0.7 }), await documentFront('s6b', { brightness: 1.4 })]],
    ['another person, printed on a card', async () => [await selfie('s4a'), await documentFront('s4a')]],
  ];
  it.each(cases)('%s: similar', async (_label, make) => {
    const [s, d] = await make();
    const result = match(await check.check({ selfie: info(s), documentFront: info(d) }));
    expect(result.result).toBe('similar');
    expect(result.distance).toBeLessThanOrEqual(FACE_MATCH_THRESHOLD);
  });
});

describe('different people', () => {
  const pairs: [Person, Person][] = [
    ['s1a', 's1c'],
    ['s1c', 's1a'],
    ['s4a', 's4c'],
    ['s6a', 's6b'],
    ['s6b', 's6c'],
    ['s6c', 's6a'],
  ];
  it.each(pairs)('selfie of %s, card of %s: not similar', async (a, b) => {
    const result = match(await check.check({ selfie: info(await selfie(a)), documentFront: info(await documentFront(b)) }));
    expect(result.result).toBe('not_similar');
    expect(result.distance).toBeGreaterThan(FACE_MATCH_THRESHOLD);
  });
});

describe('refused at once, with a message the person can act on', () => {
  it('a selfie with no face in it', async () => {
    const outcome = await check.check({ selfie: info(await photo(900, 700).jpeg().toBuffer()), documentFront: info(await documentFront('s1a')) });
    expect(outcome).toMatchObject({ status: 'retry', reason: 'selfie_no_face', message: expect.stringContaining('couldn’t find a face') });
  });

  it('a selfie with several people in it', async () => {
    const outcome = await check.check({ selfie: info(await groupPhoto(1)), documentFront: info(await documentFront('s1a')) });
    expect(outcome).toMatchObject({ status: 'retry', reason: 'selfie_several_faces', message: expect.stringContaining('more than one face') });
  });

  it('a document front without a face photo', async () => {
    const outcome = await check.check({ selfie: info(await selfie('s1a')), documentFront: info(await documentFront(null)) });
    expect(outcome).toMatchObject({ status: 'retry', reason: 'document_front_no_face', message: expect.stringContaining('photo of your face on the front') });
    expect(await locateFace({ data: await documentFront(null) })).toBeNull();
  });
});

it('runs inside the upload decode pool: a full pool refuses the check instead of queueing it', async () => {
  const pool = createDecodePool({ concurrency: 1, queue: 0 });
  let release!: () => void;
  const busy = pool.run(() => new Promise<void>((resolve) => (release = resolve)));
  const bounded = createLocalFaceCheck({ pool });
  await expect(bounded.check({ selfie: info(await selfie('s1a')), documentFront: info(await documentFront('s1a')) })).rejects.toMatchObject({ code: 'rate_limited' });
  release();
  await busy;
  expect(match(await bounded.check({ selfie: info(await selfie('s1a')), documentFront: info(await documentFront('s1a')) })).result).toBe('similar');
});

describe('the upload path (attachTicketDocument) on PostgreSQL', () => {
  async function createTicket() {
    return db.recoveryTicket.create({
      data: { reference: `RG-${randomBytes(5).toString('hex').toUpperCase()}`, type: 'FULL_RECOVERY', contactEmail: 'person@example.com', slaDueAt: new Date(NOW.getTime() + 86_400_000) },
    });
  }
  function upload(ticketId: string, kind: DocumentKind, bytes: Buffer, faceMatch: 'local' | 'off' = 'local') {
    return attachTicketDocument({
      db,
      masterKey,
      ticketId,
      kind,
      file: { size: bytes.length, name: 'photo.jpg', arrayBuffer: async () => new Uint8Array(bytes).buffer },
      ip: '203.0.113.9',
      userAgent: 'vitest',
      now: NOW,
      faceMatch,
    });
  }

  it('refuses a front without a face photo, then stores only the outcome of the match with the selfie', async () => {
    const ticket = await createTicket();
    const blank = await upload(ticket.id, 'ID_FRONT', await documentFront(null));
    expect(blank).toMatchObject({ status: 'refused', message: expect.stringContaining('photo of your face') });
    expect(await db.ticketDocument.count({ where: { ticketId: ticket.id } })).toBe(0);

    const front = await upload(ticket.id, 'ID_FRONT', await documentFront('s6c'));
    expect(front.status).toBe('accepted');
    const group = await upload(ticket.id, 'SELFIE', await groupPhoto(6));
    expect(group).toMatchObject({ status: 'refused', faceCheck: { attemptsLeft: 4 } });

    const other = await upload(ticket.id, 'SELFIE', await selfie('s6a'));
    expect(other.status).toBe('accepted');
    const same = await upload(ticket.id, 'SELFIE', await selfie('s6c'));
    expect(same.status).toBe('accepted');

    const frontRow = await db.ticketDocument.findFirstOrThrow({ where: { ticketId: ticket.id, kind: 'ID_FRONT' } });
    const selfies = await db.ticketDocument.findMany({ where: { ticketId: ticket.id, kind: 'SELFIE' }, orderBy: { createdAt: 'asc' } });
    const kept = selfies.map((s) => (s.checkResult as { faceMatch: Record<string, unknown> }).faceMatch);
    expect(kept.map((k) => k.result)).toEqual(['not_similar', 'similar']);
    for (const k of kept) {
      // Exactly these fields: no descriptor, no landmarks, no box.
      expect(Object.keys(k).sort()).toEqual(['distance', 'documentFrontId', 'modelVersion', 'result', 'threshold']);
      expect(k.documentFrontId).toBe(frontRow.id);
    }
    const audit = await db.auditEvent.findMany({ where: { subjectId: ticket.id, action: 'ticket.document_uploaded' } });
    const serialized = JSON.stringify(audit.map((a) => a.data));
    expect(serialized).toContain('"faceMatch":"similar"');
    expect(serialized).not.toContain('descriptor');
  });

  it('with face matching off: no detection, no match stored, only the photo checks', async () => {
    const ticket = await createTicket();
    expect((await upload(ticket.id, 'ID_FRONT', await documentFront(null), 'off')).status).toBe('accepted');
    expect((await upload(ticket.id, 'SELFIE', await selfie('s1a'), 'off')).status).toBe('accepted');
    const row = await db.ticketDocument.findFirstOrThrow({ where: { ticketId: ticket.id, kind: 'SELFIE' } });
    expect(row.checkResult).not.toHaveProperty('faceMatch');
  });
});

describe('the agent: the face match on the ticket, and the two faces cut on demand', () => {
  async function newAgent() {
    const row = await db.agent.create({ data: { email: `agent-${randomBytes(5).toString('hex')}@example.com`, name: 'Test agent', role: 'AGENT' }, select: { id: true } });
    return { agentId: row.id };
  }
  async function ticketFor(agentId: string) {
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: `RG-${randomBytes(5).toString('hex').toUpperCase()}`,
        type: 'FULL_RECOVERY',
        status: 'IN_REVIEW',
        contactEmail: 'person@example.com',
        slaDueAt: new Date(NOW.getTime() + 86_400_000),
        assigneeId: agentId,
      },
    });
    for (const [kind, bytes] of [['ID_FRONT', await documentFront('s6c')], ['SELFIE', await selfie('s6c')]] as const) {
      const result = await attachTicketDocument({
        db,
        masterKey,
        ticketId: ticket.id,
        kind,
        file: { size: bytes.length, arrayBuffer: async () => new Uint8Array(bytes).buffer },
        ip: '203.0.113.9',
        userAgent: 'vitest',
        now: NOW,
        faceMatch: 'local',
      });
      if (result.status !== 'accepted') throw new Error(`${kind}: ${JSON.stringify(result)}`);
    }
    const docs = await db.ticketDocument.findMany({ where: { ticketId: ticket.id }, select: { id: true, kind: true } });
    return { id: ticket.id, frontId: docs.find((d) => d.kind === 'ID_FRONT')!.id, selfieId: docs.find((d) => d.kind === 'SELFIE')!.id };
  }

  it('shows the outcome with the distance and threshold, and cuts each face from its stored image, audited, only for the assigned agent', async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const ticket = await ticketFor(agent.agentId);

    const review = await getTicketForAgent({ db, agent, ticketId: ticket.id, now: NOW });
    expect(review.faceMatch).toMatchObject({ selfieId: ticket.selfieId, documentFrontId: ticket.frontId, result: 'similar', threshold: FACE_MATCH_THRESHOLD, imagesKept: true });
    expect(review.faceMatch!.distance).toBeLessThanOrEqual(FACE_MATCH_THRESHOLD);

    const agentViews = () => db.auditEvent.count({ where: { action: 'document.viewed', actorId: agent.agentId, subjectId: { in: [ticket.selfieId, ticket.frontId] } } });
    expect(await agentViews()).toBe(0);
    for (const documentId of [ticket.selfieId, ticket.frontId]) {
      const crop = await openFaceCropForAgent({ db, masterKey, agent, ticketId: ticket.id, documentId, now: NOW });
      const meta = await sharp(crop.bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 320]);
      // The crop still holds a face: the one found in the stored image, nothing stored about it.
      expect(await locateFace({ data: crop.bytes })).not.toBeNull();
    }
    expect(await agentViews()).toBe(2);

    // Another agent, another ticket's document, or an unknown id: the same "not found".
    await expect(openFaceCropForAgent({ db, masterKey, agent: other, ticketId: ticket.id, documentId: ticket.selfieId, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
    const theirs = await ticketFor(other.agentId);
    await expect(openFaceCropForAgent({ db, masterKey, agent, ticketId: ticket.id, documentId: theirs.selfieId, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
    await expect(openFaceCropForAgent({ db, masterKey, agent, ticketId: ticket.id, documentId: randomUUID(), now: NOW })).rejects.toMatchObject({ code: 'not_found' });
  });
});
