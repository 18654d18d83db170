import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/security.md rule 12: a console page refused to the agent's role answers HTTP 403, not 200 with a
// refusal drawn on it. Next answers 403 for forbidden() (digest NEXT_HTTP_ERROR_FALLBACK;403) and
// draws the segment's forbidden.tsx, when experimental.authInterrupts is on.
const workspace = path.resolve(import.meta.dirname, '../../app/(console)/console/(workspace)');

describe('role-refused console pages', () => {
  it('refuseRole() is a 403 interrupt', async () => {
    // What `next build` / `next start` set from experimental.authInterrupts.
    process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = 'true';
    const { refuseRole } = await import('@/app/(console)/console/(workspace)/audit/refuse-role');
    expect(() => refuseRole()).toThrow(expect.objectContaining({ digest: 'NEXT_HTTP_ERROR_FALLBACK;403' }));
  });

  it('next.config.mjs turns authInterrupts on', async () => {
    // @ts-expect-error next.config.mjs is plain JavaScript (checked with // @ts-check), without a .d.ts.
    const { default: config } = (await import('../../next.config.mjs')) as { default: import('next').NextConfig };
    expect(config.experimental?.authInterrupts).toBe(true);
  });

  it.each(['audit', 'analytics', 'admin'])('/console/%s refuses with refuseRole() and draws its own forbidden.tsx', (segment) => {
    const page = readFileSync(path.join(workspace, segment, 'page.tsx'), 'utf8');
    expect(page).toMatch(/error\.code === 'forbidden'\) refuseRole\(\)/);
    expect(page).not.toMatch(/return <RoleRefused/);
    expect(existsSync(path.join(workspace, segment, 'forbidden.tsx'))).toBe(true);
  });
});
