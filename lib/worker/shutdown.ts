/**
 * Work to finish before the server process exits (the job runner: it lets running jobs end and
 * releases the rest, so another instance or the next start takes them at once).
 *
 * Kept on globalThis: instrumentation.ts registers from Next's bundle, scripts/serve.ts runs the
 * hooks from its own module graph, and both must see the same list.
 */
type Hook = () => Promise<void>;

function hooks(): Hook[] {
  const store = globalThis as unknown as { regainShutdownHooks?: Hook[] };
  store.regainShutdownHooks ??= [];
  return store.regainShutdownHooks;
}

export function onShutdown(hook: Hook): void {
  hooks().push(hook);
}

/** Runs every hook once, side by side, giving up on the slow ones after `timeoutMs`. */
export async function runShutdownHooks(timeoutMs = 15_000): Promise<void> {
  const pending = hooks().splice(0);
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled(pending.map((hook) => hook())), limit]);
  clearTimeout(timer);
}
