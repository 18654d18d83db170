import { Card, PageContainer } from '../../../_components/ui';

/** What a recovery page shows while the server prepares it: the frame, announced as busy. */
export function RecoverLoading({ label }: { label: string }) {
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-4 p-6 sm:p-8" aria-busy="true">
        <p role="status" className="font-semibold">
          {label}
        </p>
        <div className="space-y-3" aria-hidden="true">
          <div className="h-7 w-2/3 animate-pulse rounded bg-surface-muted" />
          <div className="h-4 w-full animate-pulse rounded bg-surface-muted" />
          <div className="h-4 w-5/6 animate-pulse rounded bg-surface-muted" />
          <div className="h-11 w-40 animate-pulse rounded-lg bg-surface-muted" />
        </div>
      </Card>
    </PageContainer>
  );
}
