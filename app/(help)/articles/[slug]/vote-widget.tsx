'use client';

import { useActionState, useState } from 'react';
import { Alert } from '../../../_components/ui';
import { voteAction, type VoteState } from './actions';
import { useRememberedVote } from './article-visit';

/**
 * "Was this article helpful?": works without JavaScript (a plain form post), one vote per visitor,
 * changeable. The visitor's earlier vote arrives with the visit (article-visit.tsx), after the
 * prerendered page is shown; what they chose or typed since wins over it.
 */
export function VoteWidget({ slug }: { slug: string }) {
  const [state, formAction, pending] = useActionState<VoteState, FormData>(voteAction.bind(null, slug), undefined);
  const remembered = useRememberedVote();
  const [chosen, setChoice] = useState<'yes' | 'no'>();
  // Controlled, so React's reset of the form after each submission never discards what was typed.
  const [typed, setComment] = useState<string>();
  const choice = chosen ?? (remembered ? (remembered.helpful ? 'yes' : 'no') : undefined);
  const comment = typed ?? remembered?.comment ?? '';
  const saved = state?.ok ? state.data : undefined;
  const current = saved ? (saved.helpful ? 'yes' : 'no') : choice;

  const option = (value: 'yes' | 'no', label: string) => (
    <button
      type="submit"
      name="helpful"
      value={value}
      aria-pressed={current === value}
      disabled={pending}
      onClick={() => setChoice(value)}
      className={`inline-flex min-h-11 min-w-20 items-center justify-center rounded-lg border px-4 text-sm font-semibold ${
        current === value ? 'border-accent bg-accent text-on-accent' : 'border-line bg-surface hover:bg-surface-muted'
      }`}
    >
      {label}
    </button>
  );

  return (
    <section aria-labelledby="vote-heading" className="rounded-xl border border-line bg-surface p-5">
      <form action={formAction} className="space-y-4">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="vote-heading" className="mr-2 w-full text-base font-semibold sm:w-auto">
            Was this article helpful?
          </h2>
          {option('yes', 'Yes')}
          {option('no', 'No')}
        </div>
        {current === 'no' && !saved?.commented && (
          <div className="space-y-2">
            <label htmlFor="vote-comment" className="block text-sm font-semibold">
              What was missing? <span className="font-normal text-muted">(optional)</span>
            </label>
            <p id="vote-comment-hint" className="text-sm text-muted">
              Don&apos;t include codes, passwords or personal details.
            </p>
            <textarea
              id="vote-comment"
              name="comment"
              maxLength={500}
              rows={3}
              aria-describedby="vote-comment-hint"
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              className="block w-full rounded-lg border border-line bg-surface p-3 text-base"
            />
            <button type="submit" name="helpful" value="no" disabled={pending} className="inline-flex min-h-11 items-center rounded-lg bg-accent px-4 text-sm font-semibold text-on-accent hover:bg-accent-hover">
              Send feedback
            </button>
          </div>
        )}
        <div aria-live="polite">
          {pending && <p className="text-sm text-muted">Saving…</p>}
          {state && !state.ok && <Alert tone="error">{state.error.message}</Alert>}
          {saved && (
            <p className="text-sm font-medium text-success">
              {saved.helpful ? 'Thanks! Glad it helped.' : saved.commented ? 'Thanks for telling us. We read every comment.' : 'Thanks. Tell us what was missing, if you like.'}
              {' '}You can change your answer at any time.
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
