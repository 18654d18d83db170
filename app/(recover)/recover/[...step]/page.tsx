import { notFound, redirect } from 'next/navigation';
import { parseLostFactor } from '@/lib/recovery/policy';

/**
 * Addresses that once named a recovery tool (`/recover/authenticator`, `/recover/passkey`, …) start
 * the real flow with that loss preselected; anything else is an honest 404, never a dead end.
 */
export default async function RecoverToolAddress({ params }: { params: Promise<{ step: string[] }> }) {
  const { step } = await params;
  const lost = step.length === 1 ? parseLostFactor(step[0]) : undefined;
  if (!lost) notFound();
  redirect(`/recover?lost=${lost}`);
}
