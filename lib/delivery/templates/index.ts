/**
 * Every message Regain sends, by family: one-time codes, security notices, recovery tickets and
 * video-call appointments. Each family is its own module on the shared layout (./layout), so an
 * HTML part is always a complete document and every value in it is escaped.
 */
export { codeEmail, codeSms, codeVoice, twimlFromText, type CodeEmail } from './codes';
export { escapeXml } from './layout';
export {
  SECURITY_CHANGES,
  SMS_SEGMENT,
  securityNoticeEmail,
  securityNoticeSms,
  type SecurityChange,
  type SecurityNoticeContext,
  type SecurityNoticeEmail,
} from './notices';
export { ticketApprovedEmail, ticketInfoRequestEmail, ticketReceivedEmail, ticketRejectedEmail, type TicketEmail } from './tickets';
export { appointmentCancelledEmail, appointmentScheduledEmail, appointmentWindow, type CancelReason, utcWindow } from './appointments';
export { isTimeZone } from './format';
