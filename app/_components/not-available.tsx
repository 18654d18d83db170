import { ButtonLink, Card, PageContainer } from './ui';

/** Shown for a tool that is planned but not built yet, so no link in the product leads nowhere. */
export function NotAvailable({ title, text }: { title: string; text: string }) {
  return (
    <PageContainer className="py-12">
      <Card className="mx-auto max-w-xl space-y-4 p-8 text-center">
        <p className="text-sm font-semibold uppercase tracking-wide text-accent">Coming soon</p>
        <h1 className="text-2xl font-bold">{title}</h1>
        <p className="text-muted">{text}</p>
        <div className="flex flex-wrap justify-center gap-2 pt-2">
          <ButtonLink href="/">Search the help center</ButtonLink>
          <ButtonLink href="/tools" variant="secondary">
            All self-service tools
          </ButtonLink>
        </div>
      </Card>
    </PageContainer>
  );
}
