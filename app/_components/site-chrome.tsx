import Link from 'next/link';
import { AccountLink } from './account-link';
import { ShieldIcon } from './icons';

const nav = [
  { href: '/', label: 'Help center' },
  { href: '/tools', label: 'Self-service tools' },
];

export function SiteHeader() {
  return (
    <header className="sticky top-0 z-40 border-b border-line bg-surface/90 backdrop-blur supports-[backdrop-filter]:bg-surface/75">
      <div className="mx-auto flex h-16 w-full max-w-5xl items-center gap-3 px-4 sm:px-6">
        <Link href="/" className="flex min-h-11 items-center gap-2 font-bold tracking-tight" aria-label="Regain home">
          <ShieldIcon className="h-7 w-7 text-accent" />
          <span className="text-lg">Regain</span>
        </Link>
        <nav aria-label="Main" className="ml-auto flex items-center gap-1 text-sm font-medium">
          {nav.map((item) => (
            <Link key={item.href} href={item.href} className="hidden min-h-11 items-center rounded-md px-3 text-muted hover:bg-surface-muted hover:text-fg sm:inline-flex">
              {item.label}
            </Link>
          ))}
          <Link href="/tools" className="inline-flex min-h-11 items-center rounded-md px-2 text-muted hover:bg-surface-muted hover:text-fg sm:hidden">
            Tools
          </Link>
          <AccountLink className="ml-1 inline-flex min-h-11 items-center rounded-lg border border-line px-4 font-semibold hover:bg-surface-muted" />
        </nav>
      </div>
    </header>
  );
}

export function SiteFooter() {
  return (
    <footer className="mt-16 border-t border-line bg-surface">
      <div className="mx-auto grid w-full max-w-5xl gap-6 px-4 py-10 text-sm sm:grid-cols-3 sm:px-6">
        <div className="space-y-2">
          <p className="flex items-center gap-2 font-bold">
            <ShieldIcon className="h-5 w-5 text-accent" /> Regain
          </p>
          <p className="text-muted">Help center and guided account recovery.</p>
        </div>
        <nav aria-label="Footer" className="space-y-2">
          <p className="font-semibold">Get help</p>
          <ul className="space-y-1 text-muted">
            <li><Link className="inline-flex min-h-6 items-center hover:text-fg hover:underline" href="/">Help center</Link></li>
            <li><Link className="inline-flex min-h-6 items-center hover:text-fg hover:underline" href="/tools">Self-service tools</Link></li>
            <li><Link className="inline-flex min-h-6 items-center hover:text-fg hover:underline" href="/recover">Can&apos;t sign in?</Link></li>
          </ul>
        </nav>
        <div className="space-y-2">
          <p className="font-semibold">Stay safe</p>
          <p className="text-muted">
            Support will never ask for your password, a full verification code or your recovery phrase — not by phone, chat or email.
          </p>
        </div>
      </div>
    </footer>
  );
}
