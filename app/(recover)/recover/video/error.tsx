'use client';

import { RecoverError } from '../_components/page-error';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <RecoverError error={error} reset={reset} kept="Nothing changed on your request or your appointment. Try again in a moment." />;
}
