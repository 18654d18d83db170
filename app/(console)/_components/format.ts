import { isOpen } from '@/lib/access';
import type { DocumentKind, MessageKind, TicketStatus, TicketType } from '@/lib/db/generated/enums';

/** Console wording and times. Times are UTC everywhere in the console, said so every time. */

export const TYPE_LABEL: Record<TicketType, string> = {
  PASSKEY_RESET: 'Passkey reset',
  AUTHENTICATOR_RESET: 'Authenticator reset',
  PHONE_CHANGE: 'Phone change',
  EMAIL_CHANGE: 'Email change',
  FULL_RECOVERY: 'Full recovery',
};

export const STATUS_LABEL: Record<TicketStatus, string> = {
  SUBMITTED: 'Submitted',
  IN_REVIEW: 'In review',
  MORE_INFO_REQUESTED: 'Waiting for person',
  APPROVED: 'Approved',
  REJECTED: 'Rejected',
  COMPLETED: 'Completed',
  EXPIRED: 'Expired',
};

export const DOCUMENT_LABEL: Record<DocumentKind, string> = {
  ID_FRONT: 'ID document, front',
  ID_BACK: 'ID document, back',
  SELFIE: 'Selfie',
  EXTRA: 'Extra document',
};

export const MESSAGE_LABEL: Record<MessageKind, string> = {
  INTERNAL_NOTE: 'Internal note',
  INFO_REQUEST: 'Asked the person',
  CUSTOMER_REPLY: 'Person replied',
  STATUS_CHANGE: 'Status change',
};

export const FACTOR_LABEL: Record<string, string> = {
  passkey: 'Passkey',
  authenticator: 'Authenticator app',
  phone: 'Phone number',
  email: 'Email address',
};

const dateTime = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hourCycle: 'h23' });
const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC', hourCycle: 'h23' });

/** "30 Nov 2026, 14:05 UTC" */
export const utc = (date: Date | string) => `${dateTime.format(new Date(date))} UTC`;
/** "14:05:09 UTC" */
export const utcTime = (date: Date | string) => `${time.format(new Date(date))} UTC`;

/** 95 → "1 h 35 min"; 3000 → "2 d 2 h". Coarser as it grows: nobody needs minutes on a 2-day wait. */
export function duration(totalMinutes: number): string {
  const m = Math.abs(Math.round(totalMinutes));
  if (m < 60) return `${m} min`;
  const days = Math.floor(m / 1440);
  const hours = Math.floor((m % 1440) / 60);
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`;
  const minutes = m % 60;
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

export type SlaTone = 'overdue' | 'soon' | 'ok' | 'paused' | 'none';

/** Less than this left is "due soon". */
export const SLA_SOON_MINUTES = 8 * 60;

export function slaState(status: TicketStatus, remainingMinutes: number): { tone: SlaTone; text: string } {
  if (!isOpen(status)) return { tone: 'none', text: 'No SLA (decided)' };
  // The clock is stopped while the person answers (remainingMinutes is what was left then).
  if (status === 'MORE_INFO_REQUESTED') {
    return { tone: 'paused', text: remainingMinutes < 0 ? `Paused · overdue by ${duration(remainingMinutes)}` : `Paused · ${duration(remainingMinutes)} left` };
  }
  if (remainingMinutes < 0) return { tone: 'overdue', text: `Overdue by ${duration(remainingMinutes)}` };
  return { tone: remainingMinutes < SLA_SOON_MINUTES ? 'soon' : 'ok', text: `${duration(remainingMinutes)} left` };
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hourCycle: 'h23' });
/** "14:30 UTC" */
export const utcClock = (date: Date | string) => `${clock.format(new Date(date))} UTC`;
