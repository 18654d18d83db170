// Runs once when the server starts: a bad configuration or a broken article stops it with a
// message naming the variable or the file; the search index is built before the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getConfig, validateConfigAtStartup } = await import('@/lib/config');
  validateConfigAtStartup();
  // Started without scripts/serve.ts (plain `next start`): say so now, not at the first refusal.
  const { warnIfClientAddressUnavailable } = await import('@/lib/http/request');
  warnIfClientAddressUnavailable();
  const { startHelpCenterAtStartup } = await import('@/lib/help/center');
  await startHelpCenterAtStartup();
  const [{ getPrisma }, { getDelivery }, { startMaintenanceTimer }] = await Promise.all([import('@/lib/db/client'), import('@/lib/delivery'), import('@/lib/maintenance')]);
  startMaintenanceTimer({ db: getPrisma(), delivery: getDelivery(), hmacKey: getConfig().hmacKey, appUrl: getConfig().appUrl, cancelWindowHours: getConfig().ticketCancelWindowHours });
  // Without a host URL there is nowhere to post: deliveries wait in their table until one is set.
  const endpoint = getConfig().hostWebhook;
  if (endpoint) {
    const { startWebhookWorker } = await import('@/lib/platform/webhook-worker');
    startWebhookWorker({ db: getPrisma(), endpoint });
  }
}
