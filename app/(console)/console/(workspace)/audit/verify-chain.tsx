'use client';

import Link from 'next/link';
import { useActionState } from 'react';
import { Alert, Button } from '../../../../_components/ui';
import { anchorChainAction, type AnchorState, verifyChainAction, type VerifyState } from './actions';

const REASON_SHORT = {
  hash_mismatch: 'contents changed',
  prev_mismatch: 'link to previous event broken',
  unkeyed_row: 'unkeyed event',
  anchor_mismatch: 'does not match its anchor',
  anchor_missing: 'newest events cut off',
  anchor_forged: 'forged anchor',
} as const;

const utc = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso)) + ' UTC';

/** The "Verify chain" action and its outcome, shown big: this is the answer a supervisor came for. */
export function VerifyChain() {
  const [state, verify, pending] = useActionState<VerifyState, FormData>(verifyChainAction, undefined);
  const result = state?.ok ? state.data : undefined;
  const [anchorState, anchor, anchoring] = useActionState<AnchorState, FormData>(anchorChainAction, undefined);
  const anchored = anchorState?.ok ? anchorState.data : undefined;
  return (
    <section aria-labelledby="integrity-heading" className="rounded-xl border border-line bg-surface p-5 shadow-sm">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <h2 id="integrity-heading" className="text-lg font-bold">
            Integrity
          </h2>
          <p className="text-sm text-muted">
            Each event carries a keyed hash of itself and of the event before it. Verifying recomputes every hash from the first event on and compares the
            newest events with the anchors sent to the host platform every hour.
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <form action={verify}>
            <Button type="submit" disabled={pending}>
              {pending ? 'Verifying…' : 'Verify chain'}
            </Button>
          </form>
          <form action={anchor}>
            <Button type="submit" variant="secondary" disabled={anchoring}>
              {anchoring ? 'Anchoring…' : 'Anchor now'}
            </Button>
          </form>
        </div>
      </div>
      <div aria-live="polite" className={anchorState ? 'mt-4' : undefined}>
        {anchorState && !anchorState.ok && <Alert tone="error">{anchorState.error.message}</Alert>}
        {anchored && (
          <p className="text-sm">
            Anchor #{anchored.id} pins event #{anchored.headSeq} as of {utc(anchored.anchoredAt)}; a copy is on its way to the host platform.
          </p>
        )}
      </div>
      <div aria-live="polite" className={state ? 'mt-4' : undefined}>
        {state && !state.ok && <Alert tone="error">{state.error.message}</Alert>}
        {result?.ok === true && (
          <div className="rounded-lg border border-success/40 bg-success-soft p-4">
            <p className="text-xl font-bold text-success">Chain intact: {result.checked.toLocaleString('en-GB')} events checked</p>
            <p className="mt-1 text-sm">
              Verified {utc(result.verifiedAt)}. No event was changed, removed or slipped in
              {result.lastAnchor ? `, and the log still matches anchor #${result.lastAnchor.id} of ${utc(result.lastAnchor.anchoredAt)}` : ' (no anchor taken yet)'}.
              Your check is recorded in the log.
            </p>
          </div>
        )}
        {result?.ok === false && (
          <div className="rounded-lg border-2 border-danger bg-danger-soft p-4">
            <p className="text-xl font-bold text-danger">
              Broken at event #{result.firstBrokenSeq} ({REASON_SHORT[result.reason]})
            </p>
            <p className="mt-1 text-sm">
              The first {result.checked.toLocaleString('en-GB')} events are intact. {result.explanation} Someone changed
              the log outside Regain. Do not edit anything: tell Security now. Verified {utc(result.verifiedAt)}.
            </p>
            <Link href={`/console/audit?before=${BigInt(result.firstBrokenSeq) + BigInt(6)}`} className="mt-2 inline-flex min-h-11 items-center font-semibold text-danger underline">
              Show the events around #{result.firstBrokenSeq}
            </Link>
          </div>
        )}
      </div>
    </section>
  );
}
