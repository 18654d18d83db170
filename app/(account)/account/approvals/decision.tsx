'use client';

import { useActionState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import { decideAction, type DecisionState } from './actions';

export function Decision({ challengeId }: { challengeId: string }) {
  const [approved, approve, approving] = useActionState<DecisionState, FormData>(decideAction.bind(null, challengeId, true), undefined);
  const [denied, deny, denying] = useActionState<DecisionState, FormData>(decideAction.bind(null, challengeId, false), undefined);
  const done = approved?.ok ? approved.data : denied?.ok ? denied.data : undefined;
  const failure = [approved, denied].find((s) => s && !s.ok);
  if (done) {
    return (
      <Alert tone={done === 'approved' ? 'success' : 'info'} title={done === 'approved' ? 'Approved' : 'Denied'}>
        {done === 'approved' ? 'The other device can continue now.' : 'Nothing was changed. If this was not you, review your account security.'}
      </Alert>
    );
  }
  return (
    <div className="space-y-3">
      {failure && !failure.ok && <Alert tone="error">{failure.error.message}</Alert>}
      <div className="flex flex-wrap gap-2">
        <form action={approve}>
          <Button type="submit" disabled={approving || denying}>
            {approving ? 'Approving…' : 'Yes, it was me — approve'}
          </Button>
        </form>
        <form action={deny}>
          <Button type="submit" variant="secondary" disabled={approving || denying}>
            No, deny
          </Button>
        </form>
      </div>
    </div>
  );
}
