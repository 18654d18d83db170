import Link from 'next/link';
import { ArrowRightIcon, ClockIcon, IdCardIcon, KeyIcon, LifebuoyIcon, PhoneIcon, VideoIcon } from './icons';

/** Every tile starts a real flow; the reset tiles preselect what was lost (`/recover?lost=…`). */
export const selfServiceTools = [
  { href: '/recover', title: "Can't sign in?", text: 'Get a code by SMS, voice call or email, or approve on a trusted device.', Icon: LifebuoyIcon },
  { href: '/recover?lost=authenticator', title: 'Reset authenticator app', text: 'Lost your phone or the app? Prove two factors and link a new one.', Icon: PhoneIcon },
  { href: '/recover?lost=passkey', title: 'Reset a passkey', text: 'Replace a passkey you can no longer use.', Icon: KeyIcon },
  { href: '/recover/documents', title: 'Recover with ID documents', text: 'When other methods fail, verify with your ID and a selfie.', Icon: IdCardIcon },
  { href: '/recover/status', title: 'Check recovery status', text: 'Follow your ticket and answer questions from Support.', Icon: ClockIcon },
  { href: '/recover/video', title: 'Join video call appointment', text: 'Enter your emailed code and authenticator code to get the link.', Icon: VideoIcon },
] as const;

export function ToolGrid({ headingLevel = 3 }: { headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
      {selfServiceTools.map(({ href, title, text, Icon }) => (
        <li key={href}>
          <Link
            href={href}
            className="group flex h-full gap-3 rounded-xl border border-line bg-surface p-4 shadow-sm transition-colors hover:border-accent/60 hover:bg-accent-soft/40"
          >
            <span className="flex h-10 w-10 shrink-0 items-center justify-center rounded-lg bg-accent-soft text-accent">
              <Icon className="h-5 w-5" />
            </span>
            <span className="min-w-0 space-y-1">
              <Heading className="flex items-center gap-1 font-semibold">
                {title}
                <ArrowRightIcon className="h-4 w-4 opacity-0 transition-opacity group-hover:opacity-100" />
              </Heading>
              <span className="block text-sm text-muted">{text}</span>
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
