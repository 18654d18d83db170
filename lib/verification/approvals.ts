import type { Db } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { findTrustedDevice } from '@/lib/sessions/devices';
import { APPROVAL_TTL_SECONDS } from './policy';
import { isUuid } from '@/lib/db/ids';

export type ApprovalRequest = {
  challengeId: string;
  /** Signing back in after losing access, or replacing a lost passkey or authenticator app. */
  purpose: 'recovery' | 'factor_reset';
  requestedAt: string;
  expiresAt: string;
  /** "Chrome on Windows", from the requester's user agent. */
  device: string;
  /** The requester's network, shortened: "203.0.113.x". */
  network: string;
};

const notThisDevice = () =>
  new AppError({ code: 'unauthorized', userMessage: 'This device is not signed in to an account, so it cannot approve requests.' });

/** Pending "approve on a trusted device" requests for the account this device belongs to. */
export async function listApprovalRequests(options: { db: Db; hmacKey: Buffer; deviceToken: string | undefined; now: Date }): Promise<ApprovalRequest[]> {
  const device = await findTrustedDevice(options.db, options.hmacKey, options.deviceToken);
  if (!device) throw notThisDevice();
  const pending = await options.db.verificationChallenge.findMany({
    where: { userId: device.userId, channel: 'TRUSTED_DEVICE', approvedAt: null, deniedAt: null, consumedAt: null, expiresAt: { gt: options.now } },
    select: { id: true, purpose: true, createdAt: true, expiresAt: true, requestIp: true, requestUserAgent: true },
    orderBy: { createdAt: 'desc' },
  });
  return pending.map((c) => ({
    challengeId: c.id,
    purpose: c.purpose === 'RESET_APPROVAL' ? 'factor_reset' : 'recovery',
    // The request was made when its short approval window opened.
    requestedAt: new Date(c.expiresAt.getTime() - APPROVAL_TTL_SECONDS * 1000).toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    device: describeUserAgent(c.requestUserAgent),
    network: shortenIp(c.requestIp),
  }));
}

/** Approve or deny once: the first decision wins, and only a device of the same account may decide. */
export async function decideApproval(options: { db: Db; hmacKey: Buffer; deviceToken: string | undefined; challengeId: string; approve: boolean; now: Date }) {
  const device = await findTrustedDevice(options.db, options.hmacKey, options.deviceToken);
  if (!device) throw notThisDevice();
  if (!isUuid(options.challengeId)) throw gone();
  const { count } = await options.db.verificationChallenge.updateMany({
    where: {
      id: options.challengeId,
      userId: device.userId, // a device decides only for its own account (no IDOR)
      channel: 'TRUSTED_DEVICE',
      approvedAt: null,
      deniedAt: null,
      consumedAt: null,
      expiresAt: { gt: options.now },
    },
    data: options.approve ? { approvedAt: options.now, approvedByDeviceId: device.id } : { deniedAt: options.now, approvedByDeviceId: device.id },
  });
  if (count !== 1) throw gone();
}

const gone = () => new AppError({ code: 'conflict', userMessage: 'This request is no longer waiting for a decision.' });

export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrome\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'A browser';
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : 'an unknown system';
  return `${browser} on ${os}`;
}

export function shortenIp(ip: string | null): string {
  if (!ip) return 'Unknown network';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip.replace(/\.\d+$/, '.x');
  if (ip.includes(':')) return `${ip.split(':').slice(0, 3).join(':')}:…`;
  return 'Unknown network';
}
