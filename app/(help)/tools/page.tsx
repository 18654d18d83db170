import type { Metadata } from 'next';
import { ToolGrid } from '../../_components/tools';
import { Alert, PageContainer } from '../../_components/ui';

export const metadata: Metadata = { title: 'Self-service tools' };

export default function ToolsPage() {
  return (
    <PageContainer className="space-y-6 py-10">
      <div>
        <h1 className="text-3xl font-bold tracking-tight">Self-service tools</h1>
        <p className="mt-2 max-w-2xl text-muted">Get back into your account and manage recovery without waiting for an agent.</p>
      </div>
      <Alert tone="info" title="We will never ask for your password or a full code">
        Only enter codes on this site. If someone asks you to read a code to them, it is not us.
      </Alert>
      <ToolGrid headingLevel={2} />
    </PageContainer>
  );
}
