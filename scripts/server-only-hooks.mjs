// Resolve hook for scripts/server-only.mjs: `server-only` becomes its empty module.
const empty = new URL('../node_modules/server-only/empty.js', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'server-only') return { url: empty, format: 'commonjs', shortCircuit: true };
  return nextResolve(specifier, context);
}
