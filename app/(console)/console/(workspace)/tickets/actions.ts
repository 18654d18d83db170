'use server';

import { revalidatePath } from 'next/cache';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { runAction } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import {
  addInternalNote,
  approveTicket,
  assignTicket,
  claimTicket,
  confirmApproval,
  rejectTicket,
  requestInfo,
  scheduleVideoCall,
} from '@/lib/recovery/console';
import { currentAgent } from '@/lib/sessions/auth';

/**
 * The console's ticket actions: parse the form, find the signed-in agent, call one lib use case
 * (which checks the agent may do it: rule 12), report what happened. Server actions are POSTs with
 * Next's origin check (rule 16).
 */

export type ConsoleActionState =
  | { ok: true; message: string; at: number }
  | { ok: false; message: string; fieldErrors?: Record<string, string[]>; at: number }
  | undefined;

async function request() {
  const agent = await currentAgent();
  if (!agent) redirect('/console/signin');
  const [headerList, jar] = await Promise.all([headers(), cookies()]);
  const config = getConfig();
  return {
    base: { db: getPrisma(), agent, now: requestNow(jar), ip: clientIp(headerList), userAgent: headerList.get('user-agent') },
    decision: { delivery: getDelivery(), hmacKey: config.hmacKey, appUrl: config.appUrl, cancelWindowHours: config.ticketCancelWindowHours, schedule: (work: () => Promise<void>) => after(work) },
    config,
  };
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
};

async function perform(
  form: FormData,
  action: string,
  work: (context: Awaited<ReturnType<typeof request>>, ticketId: string) => Promise<string>,
): Promise<ConsoleActionState> {
  const ticketId = text(form, 'ticketId');
  const result = await runAction(async () => work(await request(), ticketId), { action });
  revalidatePath(`/console/tickets/${ticketId}`);
  revalidatePath('/console');
  return result.ok
    ? { ok: true, message: result.data, at: Date.now() }
    : { ok: false, message: result.error.message, ...(result.error.fieldErrors ? { fieldErrors: result.error.fieldErrors } : {}), at: Date.now() };
}

export async function claimTicketAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  const state = await perform(form, 'console.claim', async ({ base }, ticketId) => {
    await claimTicket({ ...base, ticketId });
    return 'Claimed.';
  });
  if (state?.ok) redirect(`/console/tickets/${text(form, 'ticketId')}`);
  return state;
}

export async function assignTicketAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.assign', async ({ base }, ticketId) => {
    const assigneeId = text(form, 'assigneeId');
    const result = await assignTicket({ ...base, ticketId, assigneeId: assigneeId === 'none' ? null : assigneeId });
    return result.assigneeId ? 'Assigned.' : 'Put back in the queue.';
  });
}

export async function addNoteAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.note', async ({ base }, ticketId) => {
    await addInternalNote({ ...base, ticketId, body: text(form, 'body') });
    return 'Note added. Only agents can see it.';
  });
}

export async function requestInfoAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.request_info', async ({ base, decision }, ticketId) => {
    await requestInfo({ ...base, ...decision, ticketId, body: text(form, 'body') });
    return 'Sent. An email to the person is queued (this page shows when it is sent); they answer on their status page.';
  });
}

export async function scheduleCallAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.schedule_call', async ({ base, decision, config }, ticketId) => {
    const date = text(form, 'date');
    const time = text(form, 'time');
    const minutes = Number(text(form, 'minutes'));
    const startsAt = /^\d{4}-\d{2}-\d{2}$/.test(date) && /^\d{2}:\d{2}$/.test(time) ? new Date(`${date}T${time}:00Z`) : new Date(Number.NaN);
    const endsAt = new Date(startsAt.getTime() + (Number.isFinite(minutes) ? minutes : 0) * 60_000);
    const booked = await scheduleVideoCall({ ...base, ...decision, ticketId, startsAt, endsAt, meetingUrlTemplate: config.videoMeetingUrlTemplate });
    return `Video call booked for ${booked.startsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. An email with the time in the person's time zone, how to join and a calendar event is queued (this page shows when it is sent).`;
  });
}

const approvedWaiting = (at: Date) =>
  `Approved. The account's verified contacts were told and can cancel until ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC; the reset runs and the person gets their link after that.`;

// The link is issued and its mail queued by a job after the reset commits: "queued" is what is
// known now; the ticket page shows whether it was sent or is being retried.
const resetRan = (alreadyApplied: boolean | undefined) =>
  `${alreadyApplied ? 'The reset had already run' : 'The reset ran: lost factors removed, sessions ended, the 24-hour hold started'}. The single-use link is queued for the person's contact address; this page shows when it is sent.`;

export async function approveAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.approve', async ({ base, decision }, ticketId) => {
    const result = await approveTicket({ ...base, ...decision, ticketId, note: text(form, 'note') || undefined });
    if (result.outcome !== 'approved') return 'First approval recorded. High risk: a different agent or a supervisor has to confirm it.';
    return result.proceedsAt ? approvedWaiting(result.proceedsAt) : `Approved. ${resetRan(result.alreadyApplied)}`;
  });
}

export async function confirmApprovalAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.confirm', async ({ base, decision }, ticketId) => {
    const result = await confirmApproval({ ...base, ...decision, ticketId });
    return result.proceedsAt ? approvedWaiting(result.proceedsAt) : `Approval confirmed. ${resetRan(result.alreadyApplied)}`;
  });
}

export async function rejectAction(_previous: ConsoleActionState, form: FormData): Promise<ConsoleActionState> {
  return perform(form, 'console.reject', async ({ base, decision }, ticketId) => {
    await rejectTicket({ ...base, ...decision, ticketId, reason: text(form, 'reason'), note: text(form, 'note') });
    return 'Rejected. An email telling the person is queued (this page shows when it is sent); nothing on the account changed.';
  });
}
