import type { Metadata } from 'next';
import { NotAvailable } from '../../../_components/not-available';

export const metadata: Metadata = { title: 'Account recovery' };

export default function RecoverPlaceholderPage() {
  return (
    <NotAvailable
      title="This recovery tool is not available yet"
      text="Guided recovery is being built. Until then, the help center explains every way back into your account."
    />
  );
}
