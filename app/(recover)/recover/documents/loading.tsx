import { RecoverLoading } from '../_components/page-states';

export default function Loading() {
  return <RecoverLoading label="Opening your recovery request…" />;
}
