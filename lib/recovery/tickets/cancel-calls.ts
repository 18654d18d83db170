import type { DbClient } from '@/lib/db/transaction';
import type { CancelReason } from '@/lib/delivery/templates';
import { enqueueJob } from '@/lib/jobs';

export const APPOINTMENT_CANCELLED_TASK = 'appointment-cancelled';

/**
 * Cancels the ticket's calls still ahead, in the caller's transaction, and queues one job per call
 * that emails the cancellation with a calendar CANCEL for the same event. Used when an agent books
 * again, when the person cancels or asks for another time, and when the request is decided or
 * closed (lib/recovery/tickets/state.ts). Returns how many calls it cancelled.
 */
export async function cancelAppointmentsAhead(tx: DbClient, options: { ticketId: string; reason: CancelReason; now: Date }): Promise<number> {
  const ahead = await tx.videoAppointment.findMany({ where: { ticketId: options.ticketId, cancelledAt: null, endsAt: { gt: options.now } }, select: { id: true } });
  if (ahead.length === 0) return 0;
  const { count } = await tx.videoAppointment.updateMany({
    where: { id: { in: ahead.map((a) => a.id) }, cancelledAt: null },
    data: { cancelledAt: options.now, cancelReason: options.reason },
  });
  for (const { id } of ahead) await enqueueJob(tx, APPOINTMENT_CANCELLED_TASK, { appointmentId: id }, { jobKey: `${APPOINTMENT_CANCELLED_TASK}:${id}`, jobKeyMode: 'keep', maxAttempts: 10 });
  return count;
}
