import { Button, CodeInput } from '../../../_components/ui';

/**
 * The code that was emailed to a ticket's contact address, and its submit button: one field
 * (autocomplete one-time-code, numeric, paste allowed), with the tries left only while no error
 * is shown beside it.
 */
export function EmailCodeFields({ error, attemptsLeft, pending, submitLabel }: { error: { fieldErrors?: Record<string, string[]> | undefined } | undefined; attemptsLeft: number; pending: boolean; submitLabel: string }) {
  return (
    <>
      <CodeInput
        id="code"
        name="code"
        label="6-digit code from the email"
        hint={error ? 'You can paste the code.' : `You can paste the code. ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left.`}
        required
        autoFocus
        error={error?.fieldErrors?.code?.[0]}
      />
      <Button type="submit" disabled={pending} className="w-full sm:w-auto">
        {pending ? 'Checking…' : submitLabel}
      </Button>
    </>
  );
}
