// Runs once when the server starts: a bad configuration stops it with a message naming the variable.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { validateConfigAtStartup } = await import('@/lib/config');
  validateConfigAtStartup();
}
