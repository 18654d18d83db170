/** Dates on the security page: UTC, spelled out, so nobody has to guess a time zone. */
export const when = (date: Date | string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(date)) + ' UTC';
