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
  // Every instance runs a job runner (messages and the rest of lib/worker); a job is taken by one
  // runner only. It stops with the server (scripts/serve.ts runs the shutdown hooks).
  const [db, messages, { startWorker }, { onShutdown }, { log }] = await Promise.all([
    import('@/lib/db/client'),
    import('@/lib/delivery'),
    import('@/lib/worker'),
    import('@/lib/worker/shutdown'),
    import('@/lib/log'),
  ]);
  const config = getConfig();
  const runner = await startWorker({
    db: db.getPrisma(),
    delivery: messages.getDelivery(),
    dispatcher: messages.getDispatcher(),
    keepOutboxCopies: !config.isProduction,
    hmacKey: config.hmacKey,
    appUrl: config.appUrl,
    cancelWindowHours: config.ticketCancelWindowHours,
    hostWebhook: config.hostWebhook,
    retention: config.retention,
    connectionString: config.databaseUrl,
  });
  onShutdown(() => runner.stop());
  runner.promise.catch((error: unknown) => log.error('worker_stopped', { error }));
}
