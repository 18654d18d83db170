'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';

type SignedInAs = 'user' | 'agent' | null;

const LINKS = {
  agent: { href: '/console', label: 'Console' },
  user: { href: '/account/security', label: 'Account' },
  none: { href: '/signin', label: 'Sign in' },
} as const;

/**
 * The header's "Sign in" / "Account" / "Console" link. Prerendered pages are the same for everyone,
 * so who is signed in is asked of /api/me after the page loaded, and again after each navigation
 * (signing in or out moves to another page without reloading this header).
 */
export function AccountLink({ className }: { className: string }) {
  const pathname = usePathname();
  const [who, setWho] = useState<SignedInAs>(null);

  useEffect(() => {
    const controller = new AbortController();
    fetch('/api/me', { signal: controller.signal, cache: 'no-store' })
      .then((response) => (response.ok ? (response.json() as Promise<{ signedInAs: SignedInAs }>) : undefined))
      .then((body) => body && setWho(body.signedInAs))
      .catch(() => {
        // Aborted by the next navigation, or offline: the link stays as it was.
      });
    return () => controller.abort();
  }, [pathname]);

  const link = LINKS[who ?? 'none'];
  return (
    <Link href={link.href} className={className}>
      {link.label}
    </Link>
  );
}
