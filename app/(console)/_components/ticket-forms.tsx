'use client';

import { useActionState, useId, useState } from 'react';
import { Button } from '../../_components/ui';
import {
  approveAction,
  assignTicketAction,
  addNoteAction,
  claimTicketAction,
  confirmApprovalAction,
  type ConsoleActionState,
  rejectAction,
  requestInfoAction,
  scheduleCallAction,
} from '../console/(workspace)/tickets/actions';

/**
 * The console's forms. Each posts to one server action and shows its answer next to it: errors as
 * alerts (announced at once), successes as status messages. A successful form is cleared by
 * remounting it (its key changes).
 */

type Action = (state: ConsoleActionState, form: FormData) => Promise<ConsoleActionState>;

function Result({ state, id }: { state: ConsoleActionState; id?: string }) {
  if (!state) return <div id={id} aria-live="polite" />;
  const fields = !state.ok && state.fieldErrors ? Object.values(state.fieldErrors).flat() : [];
  return (
    <div id={id} aria-live="polite">
      <p
        role={state.ok ? 'status' : 'alert'}
        className={`rounded-md border px-3 py-2 text-sm ${state.ok ? 'border-success/30 bg-success-soft text-success' : 'border-danger/30 bg-danger-soft text-danger'}`}
      >
        {state.message}
        {fields.length > 0 && (
          <span className="mt-1 block">
            {fields.map((f) => (
              <span key={f} className="block">
                {f}
              </span>
            ))}
          </span>
        )}
      </p>
    </div>
  );
}

function useConsoleForm(action: Action) {
  const [state, dispatch, pending] = useActionState(action, undefined);
  return { state, dispatch, pending, resetKey: state?.ok ? state.at : 0 };
}

function TextArea({ id, name, label, hint, required, rows = 4, maxLength = 4000 }: { id: string; name: string; label: string; hint?: string; required?: boolean; rows?: number; maxLength?: number }) {
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-semibold">
        {label}
      </label>
      {hint && (
        <p id={`${id}-hint`} className="text-sm text-muted">
          {hint}
        </p>
      )}
      <textarea
        id={id}
        name={name}
        rows={rows}
        maxLength={maxLength}
        required={required}
        aria-describedby={hint ? `${id}-hint` : undefined}
        className="block w-full rounded-lg border border-line bg-surface px-3 py-2 text-base text-fg"
      />
    </div>
  );
}

const Hidden = ({ ticketId }: { ticketId: string }) => <input type="hidden" name="ticketId" value={ticketId} />;

export function ClaimButton({ ticketId, reference }: { ticketId: string; reference: string }) {
  const { state, dispatch, pending } = useConsoleForm(claimTicketAction);
  return (
    <form action={dispatch} className="space-y-1">
      <Hidden ticketId={ticketId} />
      <Button type="submit" variant="secondary" disabled={pending} className="min-h-9 px-3" aria-label={`Claim ${reference}`}>
        {pending ? 'Claiming…' : 'Claim'}
      </Button>
      {state && !state.ok && (
        <p role="alert" className="max-w-48 text-xs text-danger">
          {state.message}
        </p>
      )}
    </form>
  );
}

export function NoteForm({ ticketId }: { ticketId: string }) {
  const { state, dispatch, pending, resetKey } = useConsoleForm(addNoteAction);
  const id = useId();
  return (
    <form key={resetKey} action={dispatch} className="space-y-3">
      <Hidden ticketId={ticketId} />
      <TextArea id={`${id}-note`} name="body" label="Internal note" hint="Only agents see notes. Never write codes or full contact details here." required rows={3} />
      <Result state={state} />
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? 'Adding…' : 'Add note'}
      </Button>
    </form>
  );
}

export function InfoRequestForm({ ticketId }: { ticketId: string }) {
  const { state, dispatch, pending, resetKey } = useConsoleForm(requestInfoAction);
  const id = useId();
  return (
    <form key={resetKey} action={dispatch} className="space-y-3">
      <Hidden ticketId={ticketId} />
      <TextArea
        id={`${id}-question`}
        name="body"
        label="What do you need from the person?"
        hint="They read this on their status page after an email code; the email only says there is a question."
        required
      />
      <Result state={state} />
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? 'Sending…' : 'Request more information'}
      </Button>
    </form>
  );
}

/**
 * Booking a call: the window in UTC (what the audit log and the emails quote), with the rules the
 * server applies spelled out, and what the chosen time is for the person when their time zone is known.
 */
export function ScheduleCallForm({
  ticketId,
  defaultDate,
  now,
  personTimeZone,
  limits,
}: {
  ticketId: string;
  defaultDate: string;
  now: string;
  personTimeZone: string | null;
  limits: { maxDays: number; maxMinutes: number };
}) {
  const { state, dispatch, pending, resetKey } = useConsoleForm(scheduleCallAction);
  const id = useId();
  const [date, setDate] = useState(defaultDate);
  const [time, setTime] = useState('');
  const [minutes, setMinutes] = useState('30');
  const input = 'block min-h-11 w-full rounded-lg border border-line bg-surface px-3 text-base text-fg';
  const start = /^\d{4}-\d{2}-\d{2}$/.test(date) && /^\d{2}:\d{2}$/.test(time) ? new Date(`${date}T${time}:00Z`) : undefined;
  const end = start ? new Date(start.getTime() + Number(minutes) * 60_000) : undefined;
  const forPerson = start && end && personTimeZone ? personWindow(start, end, personTimeZone) : undefined;
  const lengths = [15, 30, 45, 60, 90, 120].filter((m) => m <= limits.maxMinutes);
  return (
    <form key={resetKey} action={dispatch} className="space-y-3">
      <Hidden ticketId={ticketId} />
      <fieldset className="space-y-3">
        <legend className="text-sm font-semibold">Call window (UTC)</legend>
        <p id={`${id}-rules`} className="text-sm text-muted">
          Times are in UTC; it is {now.slice(11, 16)} UTC now. A call starts later than now, within the next {limits.maxDays} days, and lasts at most{' '}
          {limits.maxMinutes} minutes. Booking again replaces the earlier call.
        </p>
        <div className="grid gap-3 [grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr))]">
          <div className="space-y-1.5">
            <label htmlFor={`${id}-date`} className="block text-sm font-medium">
              Date (UTC)
            </label>
            <input
              id={`${id}-date`}
              name="date"
              type="date"
              required
              min={now.slice(0, 10)}
              value={date}
              onChange={(event) => setDate(event.currentTarget.value)}
              aria-describedby={`${id}-rules`}
              className={input}
            />
          </div>
          <div className="space-y-1.5">
            <label htmlFor={`${id}-time`} className="block text-sm font-medium">
              Start (UTC)
            </label>
            <input
              id={`${id}-time`}
              name="time"
              type="time"
              required
              step={300}
              value={time}
              onChange={(event) => setTime(event.currentTarget.value)}
              aria-describedby={`${id}-rules`}
              className={input}
            />
          </div>
          <div className="space-y-1.5">
            <label htmlFor={`${id}-minutes`} className="block text-sm font-medium">
              Length
            </label>
            <select id={`${id}-minutes`} name="minutes" value={minutes} onChange={(event) => setMinutes(event.currentTarget.value)} className={input}>
              {lengths.map((m) => (
                <option key={m} value={m}>
                  {m < 60 ? `${m} minutes` : m % 60 === 0 ? `${m / 60} hour${m === 60 ? '' : 's'}` : `${Math.floor(m / 60)} hour ${m % 60} minutes`}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p className="text-sm" aria-live="polite" data-testid="call-person-time">
          {personTimeZone
            ? forPerson
              ? `For the person (${personTimeZone.replace(/_/g, ' ')}): ${forPerson}.`
              : `The person's time zone is ${personTimeZone.replace(/_/g, ' ')}.`
            : "The person's time zone is not known: their email gives the time in UTC, and the calendar event converts it."}
        </p>
      </fieldset>
      <Result state={state} />
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? 'Booking…' : 'Schedule video call'}
      </Button>
    </form>
  );
}

/** "Tuesday 8 December, 18:30 to 19:00" in the person's time zone. */
function personWindow(start: Date, end: Date, timeZone: string): string | undefined {
  try {
    const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long' });
    const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return day.format(start) === day.format(end)
      ? `${day.format(start)}, ${clock.format(start)} to ${clock.format(end)}`
      : `${day.format(start)}, ${clock.format(start)} to ${day.format(end)}, ${clock.format(end)}`;
  } catch {
    return undefined;
  }
}

export function ApproveForm({ ticketId, firstOfTwo }: { ticketId: string; firstOfTwo: boolean }) {
  const { state, dispatch, pending } = useConsoleForm(approveAction);
  const id = useId();
  return (
    <form action={dispatch} className="space-y-3">
      <Hidden ticketId={ticketId} />
      <TextArea id={`${id}-approve-note`} name="note" label="Approval note (optional)" hint="What you checked. Kept with the decision." rows={2} />
      <Result state={state} />
      <Button type="submit" disabled={pending}>
        {pending ? 'Approving…' : firstOfTwo ? 'Approve (first of two)' : 'Approve and reset'}
      </Button>
    </form>
  );
}

export function ConfirmApprovalForm({ ticketId, approver }: { ticketId: string; approver: string }) {
  const { state, dispatch, pending } = useConsoleForm(confirmApprovalAction);
  return (
    <form action={dispatch} className="space-y-3">
      <Hidden ticketId={ticketId} />
      <p className="text-sm">
        {approver} approved this request. Check the documents and the signals yourself before you confirm: confirming runs the reset.
      </p>
      <Result state={state} />
      <Button type="submit" disabled={pending}>
        {pending ? 'Confirming…' : 'Confirm approval'}
      </Button>
    </form>
  );
}

/**
 * Rejecting ends the request for good and emails the person, so it takes a second, explicit step:
 * the first button checks the form and asks, the second one rejects.
 */
export function RejectForm({ ticketId, reasons }: { ticketId: string; reasons: { value: string; label: string; explanation: string }[] }) {
  const { state, dispatch, pending } = useConsoleForm(rejectAction);
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  return (
    <form action={dispatch} className="space-y-3" onChange={() => setConfirming(false)}>
      <Hidden ticketId={ticketId} />
      <div className="space-y-1.5">
        <label htmlFor={`${id}-reason`} className="block text-sm font-semibold">
          Reason
        </label>
        <p id={`${id}-reason-hint`} className="text-sm text-muted">
          The person is emailed the standard explanation for this reason, never your note.
        </p>
        <select id={`${id}-reason`} name="reason" required defaultValue="" aria-describedby={`${id}-reason-hint`} className="block min-h-11 w-full rounded-lg border border-line bg-surface px-3 text-base text-fg">
          <option value="" disabled>
            Choose a reason
          </option>
          {reasons.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <TextArea id={`${id}-reject-note`} name="note" label="Note for the file" hint="What you checked and why it is not approved (internal)." required rows={2} />
      <Result state={state} />
      {confirming ? (
        <div role="alert" className="space-y-3 rounded-lg border border-danger/50 bg-danger-soft p-3 text-sm">
          <p className="font-semibold">Reject this request?</p>
          <p>The person is emailed the explanation for the reason you chose, any video call ahead is cancelled, and the request closes. This can’t be undone.</p>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="secondary" disabled={pending} className="border-danger/50 text-danger">
              {pending ? 'Rejecting…' : 'Yes, reject request'}
            </Button>
            <Button type="button" variant="ghost" disabled={pending} onClick={() => setConfirming(false)}>
              Keep reviewing
            </Button>
          </div>
        </div>
      ) : (
        <Button
          type="button"
          variant="secondary"
          className="border-danger/50 text-danger"
          onClick={(event) => {
            if (event.currentTarget.form?.reportValidity()) setConfirming(true);
          }}
        >
          Reject request
        </Button>
      )}
    </form>
  );
}

export function AssignForm({ ticketId, agents, currentId }: { ticketId: string; agents: { id: string; name: string; role: string }[]; currentId: string | null }) {
  const { state, dispatch, pending } = useConsoleForm(assignTicketAction);
  const id = useId();
  return (
    <form action={dispatch} className="space-y-2">
      <Hidden ticketId={ticketId} />
      <label htmlFor={`${id}-assignee`} className="block text-sm font-semibold">
        Assign to
      </label>
      <div className="flex flex-wrap gap-2">
        <select id={`${id}-assignee`} name="assigneeId" defaultValue={currentId ?? 'none'} className="block min-h-11 min-w-0 flex-1 rounded-lg border border-line bg-surface px-3 text-base text-fg">
          <option value="none">Nobody (back to the queue)</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
              {a.role !== 'AGENT' ? ` (${a.role.toLowerCase()})` : ''}
            </option>
          ))}
        </select>
        <Button type="submit" variant="secondary" disabled={pending}>
          {pending ? 'Saving…' : 'Assign'}
        </Button>
      </div>
      <Result state={state} />
    </form>
  );
}
