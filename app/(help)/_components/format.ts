const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function formatDate(isoDay: string) {
  return dateFormat.format(new Date(`${isoDay}T00:00:00Z`));
}

export function formatViews(views: number) {
  return `${new Intl.NumberFormat('en-GB').format(views)} ${views === 1 ? 'view' : 'views'}`;
}
