import { describe, expect, it } from 'vitest';
import { createPrisma } from '@/lib/db/client';
import { checkHealth } from '@/lib/health';
import { useTestDatabase } from '../support/db';
import { freePort } from '../support/ports';

const { db } = await useTestDatabase();

describe('health check', () => {
  it('reports ok when the database answers', async () => {
    expect(await checkHealth({ db, searchEngine: 'embedded' })).toEqual({ status: 'ok', db: 'ok', search: 'embedded', documentTickets: 'ok' });
  });

  it('names the database when it is unreachable', async () => {
    const nobody = createPrisma(`postgresql://postgres:postgres@127.0.0.1:${await freePort()}/regain`);
    try {
      expect(await checkHealth({ db: nobody, searchEngine: 'embedded', timeoutMs: 3000 })).toEqual({
        status: 'degraded',
        db: 'unreachable',
        search: 'embedded',
        documentTickets: 'unknown',
      });
    } finally {
      await nobody.$disconnect();
    }
  });
});
