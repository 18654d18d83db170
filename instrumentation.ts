// Runs once when the server starts: a bad configuration or a broken article stops it with a
// message naming the variable or the file; the search index is built before the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { validateConfigAtStartup } = await import('@/lib/config');
  validateConfigAtStartup();
  const { startHelpCenterAtStartup } = await import('@/lib/help/center');
  await startHelpCenterAtStartup();
}
