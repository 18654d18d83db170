'use client';

import { Button, ButtonLink, Card, PageContainer } from '../../../_components/ui';

/**
 * A recovery page failed on our side. Never shows error.message (the server logged it); says what
 * is safe: nothing the person sent is lost, and how to carry on.
 */
export function RecoverError({ error, reset, kept }: { error: Error & { digest?: string }; reset: () => void; kept: string }) {
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-4 p-6 sm:p-8" role="alert">
        <h1 className="text-2xl font-bold tracking-tight">Something went wrong on our side</h1>
        <p className="text-muted">{kept}</p>
        {error.digest && <p className="text-xs text-muted">Error reference for Support: {error.digest}</p>}
        <div className="flex flex-wrap gap-2">
          <Button onClick={reset}>Try again</Button>
          <ButtonLink href="/tools" variant="secondary">
            Self-service tools
          </ButtonLink>
        </div>
      </Card>
    </PageContainer>
  );
}
