/** What the status page says after "Can't make it?", both at once and after a reload. */
export const CALL_CANCELLED = {
  another_time: {
    title: 'Call cancelled: we’ll book another time',
    body: 'We emailed you a calendar cancellation. Our security team sees the times you gave and will email you when a new call is booked.',
  },
  cancelled_by_you: {
    title: 'Call cancelled',
    body: 'We emailed you a calendar cancellation. Our security team sees your message and carries on reviewing your request without a call.',
  },
} as const;
