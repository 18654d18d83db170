import type { Metadata } from 'next';
import { NotAvailable } from '../../_components/not-available';

export const metadata: Metadata = { title: 'Sign in' };

export default function SignInPlaceholderPage() {
  return (
    <NotAvailable
      title="Sign-in is not available yet"
      text="The account security center is being built. The help center and self-service tools stay open to everyone."
    />
  );
}
