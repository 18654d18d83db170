'use client';

import { RecoverError } from '../_components/page-error';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <RecoverError error={error} reset={reset} kept="Your request and your messages are safe. Try again, or check back in a few minutes." />;
}
