import type { RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import { AlertIcon, CheckIcon, ClockIcon } from '../../_components/icons';
import { STATUS_LABEL, slaState, type SlaTone } from './format';

/** Small labels for the queue and the ticket. Colour always comes with words (and an icon where it helps). */

const pill = 'inline-flex items-center gap-1 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold';

const STATUS_TONE: Record<TicketStatus, string> = {
  SUBMITTED: 'bg-surface-muted text-fg',
  IN_REVIEW: 'bg-accent-soft text-accent',
  MORE_INFO_REQUESTED: 'bg-warning-soft text-warning',
  APPROVED: 'bg-success-soft text-success',
  REJECTED: 'bg-danger-soft text-danger',
  COMPLETED: 'bg-success-soft text-success',
  EXPIRED: 'bg-surface-muted text-muted',
};

export function StatusBadge({ status }: { status: TicketStatus }) {
  return <span className={`${pill} ${STATUS_TONE[status]}`}>{STATUS_LABEL[status]}</span>;
}

export function RiskBadge({ risk }: { risk: RiskLevel }) {
  return risk === 'HIGH' ? (
    <span className={`${pill} bg-danger-soft text-danger`}>
      <AlertIcon className="h-3.5 w-3.5" />
      High risk
    </span>
  ) : (
    <span className={`${pill} bg-surface-muted text-muted`}>Low risk</span>
  );
}

export function SecondApproverBadge() {
  return (
    <span className={`${pill} border border-warning/40 bg-warning-soft text-warning`}>
      <ClockIcon className="h-3.5 w-3.5" />
      Waiting for a second approver
    </span>
  );
}

const SLA_TONE: Record<SlaTone, string> = {
  overdue: 'bg-danger-soft text-danger border border-danger/50',
  soon: 'bg-warning-soft text-warning border border-warning/40',
  ok: 'bg-success-soft text-success',
  paused: 'bg-surface-muted text-muted border border-line',
  none: 'text-muted',
};

export function SlaBadge({ status, remainingMinutes }: { status: TicketStatus; remainingMinutes: number }) {
  const { tone, text } = slaState(status, remainingMinutes);
  const Icon = tone === 'overdue' ? AlertIcon : tone === 'ok' ? CheckIcon : ClockIcon;
  return (
    <span className={`${pill} ${SLA_TONE[tone]}`}>
      {tone !== 'none' && <Icon className="h-3.5 w-3.5" />}
      {text}
    </span>
  );
}
