const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function formatDate(isoDay: string) {
  return dateFormat.format(new Date(`${isoDay}T00:00:00Z`));
}

/**
 * "1 view", "1,234 views"; nothing for an article nobody has read yet (or a count not loaded): on a
 * new help center "0 views" under every article tells a reader nothing and makes the site look
 * abandoned, while any real count, however small, is a fact about readers.
 */
export function formatViews(views: number | undefined): string | undefined {
  if (!views || views < 1) return undefined;
  return `${new Intl.NumberFormat('en-GB').format(views)} ${views === 1 ? 'view' : 'views'}`;
}
