'use client';

import { Button, ButtonLink, Card, PageContainer } from './_components/ui';

// Never shows error.message: the server already logged it; the digest lets Support find the log line.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <PageContainer className="py-12">
      <Card className="mx-auto max-w-xl space-y-4 p-8 text-center" role="alert">
        <h1 className="text-2xl font-bold">Something went wrong on our side</h1>
        <p className="text-muted">Nothing you entered was lost. Please try again in a moment.</p>
        {error.digest && <p className="text-xs text-muted">Reference: {error.digest}</p>}
        <div className="flex flex-wrap justify-center gap-2 pt-2">
          <Button onClick={reset}>Try again</Button>
          <ButtonLink href="/" variant="secondary">
            Help center
          </ButtonLink>
        </div>
      </Card>
    </PageContainer>
  );
}
