'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Codes leave after the page is answered; if the provider then refuses one, the page should say
 * so without the person reloading. Looks again a few times in the first seconds.
 */
export function DeliveryWatch({ sentAt }: { sentAt: string }) {
  const router = useRouter();
  useEffect(() => {
    const timers = [3000, 8000, 15000].map((delay) => setTimeout(() => router.refresh(), delay));
    return () => timers.forEach(clearTimeout);
  }, [router, sentAt]);
  return null;
}
