import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentAgent } from '@/lib/sessions/auth';

export const metadata: Metadata = { title: 'Recovery queue' };

export default async function QueuePage() {
  const agent = await currentAgent();
  if (!agent) redirect('/console/signin');
  return (
    <div className="space-y-2">
      <h1 className="text-2xl font-bold tracking-tight">Recovery queue</h1>
    </div>
  );
}
