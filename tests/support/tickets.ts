import { confirmTicketContact, openDocumentTicket } from '@/lib/recovery/tickets';

const CODE = '246810';

/**
 * Opens a ticket and confirms its contact address with the code, as a person on the documents form
 * does: the state every ticket is in once it reaches the queue.
 */
export async function openConfirmedTicket(options: Parameters<typeof openDocumentTicket>[0] & { appUrl?: string }) {
  const opened = await openDocumentTicket({ ...options, newCode: () => CODE });
  const confirmed = await confirmTicketContact({
    db: options.db,
    delivery: options.delivery,
    hmacKey: options.hmacKey,
    appUrl: options.appUrl ?? 'https://help.example.com',
    ticketId: opened.ticketId,
    challengeId: opened.code.challengeId,
    code: CODE,
    ip: options.ip,
    now: options.now,
    schedule: options.schedule,
  });
  if (confirmed.status !== 'confirmed') throw new Error(`openConfirmedTicket: ${confirmed.status}`);
  return opened;
}
