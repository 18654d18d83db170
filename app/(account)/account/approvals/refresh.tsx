'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/** Re-checks for new requests every few seconds while the page is open. */
export function Refresh({ everyMs = 4000 }: { everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => router.refresh(), everyMs);
    return () => clearInterval(timer);
  }, [router, everyMs]);
  return null;
}
