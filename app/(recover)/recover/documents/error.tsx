'use client';

import { RecoverError } from '../_components/page-error';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <RecoverError error={error} reset={reset} kept="Nothing you sent was lost: photos that show as saved are kept with your request." />;
}
