import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { scriptHashes } from './security-headers';

/**
 * The pages `next build` prerendered (its prerender manifest) and, per page, the script hashes of
 * the HTML file `next start` serves for it, read once on first use. Only addresses the manifest
 * names are looked up, so a request path never chooses a file.
 */
export function prerenderedPages(distDir: string) {
  let routes: Set<string> | null | undefined;
  const hashes = new Map<string, string[] | null>();

  function load() {
    try {
      const manifest = JSON.parse(readFileSync(path.join(distDir, 'prerender-manifest.json'), 'utf8')) as { routes?: Record<string, unknown> };
      routes = new Set(Object.keys(manifest.routes ?? {}));
    } catch {
      routes = null; // no production build here (the dev server, unit tests)
    }
  }

  return {
    /** The script hashes of the prerendered page at `pathname`, or undefined when it is not one. */
    scriptHashes(pathname: string): string[] | undefined {
      if (routes === undefined) load();
      if (!routes?.has(pathname)) return undefined;
      if (!hashes.has(pathname)) {
        const file = path.join(distDir, 'server', 'app', pathname === '/' ? 'index.html' : `${pathname}.html`);
        hashes.set(pathname, existsSync(file) ? scriptHashes(readFileSync(file, 'utf8')) : null);
      }
      return hashes.get(pathname) ?? undefined;
    },
  };
}
