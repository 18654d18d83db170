'use client';

import { useActionState, useEffect, useState } from 'react';
import { KeyIcon, PhoneIcon, ShieldIcon } from '../../../_components/icons';
import { Alert, Button, ButtonLink } from '../../../_components/ui';
import { completeTicketAction, describeLinkAction, type LinkState } from './actions';

type Factor = 'passkey' | 'authenticator' | 'phone' | 'email';

const SET_UP: Record<Factor, { name: string; how: string; Icon: typeof KeyIcon }> = {
  authenticator: {
    name: 'a new authenticator app',
    how: 'You scan a QR code with the authenticator app on your phone and type the code it shows. It takes about two minutes; keep your phone nearby.',
    Icon: PhoneIcon,
  },
  passkey: {
    name: 'a new passkey',
    how: 'You create a passkey on this device or your password manager, with your fingerprint, face or screen lock. It takes a minute.',
    Icon: KeyIcon,
  },
  phone: {
    name: 'your new phone number',
    how: 'You type your new number with its country code, and we text a code to it to make sure it reaches you.',
    Icon: PhoneIcon,
  },
  email: {
    name: 'your new email address',
    how: 'You type your new address, and we send a code to it to make sure it reaches you.',
    Icon: ShieldIcon,
  },
};

/** "your new authenticator app" for buttons; "a new …" reads better in the sentence above them. */
const buttonName = (factor: Factor) => SET_UP[factor].name.replace(/^a new /, 'your new ');

export function CompleteForm() {
  const [state, action, pending] = useActionState(completeTicketAction, undefined);
  const [token, setToken] = useState<string | null>(null);
  const [link, setLink] = useState<LinkState>();
  useEffect(() => {
    // Read from the fragment, then drop it from the address bar and history. A link opened over
    // this page (only the fragment changes, so nothing reloads) is read the same way.
    const read = (initial: boolean) => {
      const value = window.location.hash.slice(1);
      // Later fragment changes count only when they carry a link (not "#main" from the skip link).
      if (!initial && !/^[A-Za-z0-9_-]{43}$/.test(value)) return;
      window.history.replaceState(null, '', window.location.pathname);
      setToken(value);
      setLink(undefined);
      if (value) {
        void describeLinkAction(value).then(setLink, () => setLink({ state: 'refused', reason: 'unchecked', message: 'We couldn’t check this link. Open the link from the email again.' }));
      }
    };
    read(true);
    const onHashChange = () => read(false);
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  if (token === '') {
    return (
      <>
        <Heading title="This link is incomplete" />
        <Alert tone="error">Open the newest email we sent about your request and use the link in it.</Alert>
      </>
    );
  }
  if (!link) {
    return (
      <>
        <Heading title="Finish your recovery" />
        <p role="status" className="text-muted">
          Checking your link…
        </p>
      </>
    );
  }
  if (link.state === 'refused') {
    return (
      <>
        <Heading title={REFUSED_TITLE[link.reason]} />
        <Alert tone="error">{link.message}</Alert>
        <div className="flex flex-wrap gap-3">
          {link.reason === 'used' && <ButtonLink href="/signin">Sign in</ButtonLink>}
          <ButtonLink href="/recover/status" variant="secondary">
            Check your request
          </ButtonLink>
          <ButtonLink href="/" variant="secondary">
            Help center
          </ButtonLink>
        </div>
      </>
    );
  }
  const setUp = SET_UP[link.lostFactor];
  return (
    <>
      <Heading title="Your recovery was approved" text="Set up your new sign-in method now, on this device." />
      <form action={action} className="space-y-5">
        {link.state === 'resumable' && (
          <Alert tone="info" title="Pick up where you left off">
            You opened this link in this browser before. Continue to finish setting up {buttonName(link.lostFactor)}.
          </Alert>
        )}
        <div className="flex gap-3 rounded-lg border border-line bg-surface-muted p-4">
          <span className="flex h-10 w-10 shrink-0 items-center justify-center rounded-lg bg-accent-soft text-accent">
            <setUp.Icon className="h-5 w-5" />
          </span>
          <div className="min-w-0 space-y-1">
            <h2 className="font-semibold">Next: {setUp.name}</h2>
            <p className="text-sm text-muted">{setUp.how}</p>
            {link.suggestedEmail && (
              <p className="text-sm text-muted">
                We&apos;ll suggest <strong className="break-words text-fg">{link.suggestedEmail}</strong>, the address you gave us on your request. You can
                change it.
              </p>
            )}
          </div>
        </div>
        <div aria-live="assertive">{state && !state.ok && <Alert tone="error">{state.error.message}</Alert>}</div>
        <input type="hidden" name="token" value={token ?? ''} />
        <Button type="submit" disabled={pending || token === null}>
          {pending ? 'Opening…' : link.state === 'resumable' ? `Continue setting up ${buttonName(link.lostFactor)}` : `Continue to set up ${buttonName(link.lostFactor)}`}
        </Button>
      </form>
      <p className="text-sm text-muted">
        This link works in the browser where you first press Continue. If you close the page before you finish, open the link from the email again in
        the same browser. Once your new method is set up, the link stops working. You will not be signed in automatically: you sign in with your new
        method afterwards.
      </p>
    </>
  );
}

const REFUSED_TITLE = {
  invalid: 'This link doesn’t work',
  expired: 'This link has expired',
  used: 'This link was already used',
  other_browser: 'This link is open in another browser',
  unchecked: 'We couldn’t check this link',
} as const;

function Heading({ title, text }: { title: string; text?: string }) {
  return (
    <div className="space-y-1">
      <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
      {text && <p className="text-muted">{text}</p>}
    </div>
  );
}
