'use client';

import { useState } from 'react';
import type { ActionResult } from '@/lib/errors';
import { Alert, Button } from '../../../_components/ui';
import { useStepUp } from '../../_components/step-up';
import { decideAction } from './actions';

/**
 * Number matching: the person picks the number shown on the screen that asked. Picking another
 * number denies the request; approving after more than 15 minutes signed in asks to confirm first.
 */
export function Decision({ challengeId, choices }: { challengeId: string; choices: number[] }) {
  const guard = useStepUp();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult<'approved' | 'denied'>>();

  async function decide(choice: number | 'deny') {
    setBusy(true);
    try {
      setResult(await guard(() => decideAction(challengeId, choice)));
    } finally {
      setBusy(false);
    }
  }

  if (result?.ok) {
    return (
      <Alert tone={result.data === 'approved' ? 'success' : 'info'} title={result.data === 'approved' ? 'Approved' : 'Denied'}>
        {result.data === 'approved' ? 'The other device can continue now.' : 'Nothing was changed. If this was not you, review your account security.'}
      </Alert>
    );
  }
  return (
    <div className="space-y-3">
      <div aria-live="assertive">{result && !result.ok && <Alert tone="error">{result.error.message}</Alert>}</div>
      <fieldset className="space-y-2">
        <legend className="text-sm font-semibold">If you asked for this, pick the number on that screen</legend>
        <div className="flex flex-wrap gap-2">
          {choices.map((n) => (
            <Button key={n} type="button" variant="secondary" disabled={busy} onClick={() => void decide(n)} aria-label={`Approve with number ${n}`}>
              <span className="min-w-8 text-lg tabular-nums">{n}</span>
            </Button>
          ))}
        </div>
      </fieldset>
      <Button type="button" variant="secondary" disabled={busy} onClick={() => void decide('deny')}>
        It wasn&apos;t me — deny
      </Button>
    </div>
  );
}
