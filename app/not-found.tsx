import { ButtonLink, Card, PageContainer } from './_components/ui';

export default function NotFound() {
  return (
    <PageContainer className="py-12">
      <Card className="mx-auto max-w-xl space-y-4 p-8 text-center">
        <p className="text-sm font-semibold uppercase tracking-wide text-accent">404</p>
        <h1 className="text-2xl font-bold">We couldn&apos;t find that page</h1>
        <p className="text-muted">The link may be old or mistyped. Search the help center or pick a self-service tool.</p>
        <div className="flex flex-wrap justify-center gap-2 pt-2">
          <ButtonLink href="/">Go to the help center</ButtonLink>
          <ButtonLink href="/tools" variant="secondary">
            Self-service tools
          </ButtonLink>
        </div>
      </Card>
    </PageContainer>
  );
}
