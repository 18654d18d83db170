// First-load JavaScript and CSS of a page, from the production build's manifests: the runtime chunks
// plus the route's own entry chunks, gzipped as `npm start` serves them. Shared by bench:pages and
// bench:throughput.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const NEXT = path.resolve('.next');

type ClientManifest = { entryJSFiles: Record<string, string[]>; entryCSSFiles: Record<string, { path: string }[]> };

let buildManifest: { rootMainFiles: string[] } | undefined;
const gzipped = new Map<string, number>();
const gzipSize = (file: string) => {
  if (!gzipped.has(file)) gzipped.set(file, gzipSync(readFileSync(path.join(NEXT, file))).length);
  return gzipped.get(file)!;
};

/** Every page of the build: [entry, route], e.g. ['/(help)/page', '/']. */
export function pageEntries(): [string, string][] {
  const appPaths = JSON.parse(readFileSync(path.join(NEXT, 'app-path-routes-manifest.json'), 'utf8')) as Record<string, string>;
  return Object.entries(appPaths).filter(([entry, route]) => entry.endsWith('/page') && !route.startsWith('/_global-error') && route !== '/dev/outbox');
}

/** The chunks a browser loads before a page is interactive: the runtime plus the page's entry chunks (gzip bytes). */
export function firstLoad(entry: string) {
  buildManifest ??= JSON.parse(readFileSync(path.join(NEXT, 'build-manifest.json'), 'utf8')) as { rootMainFiles: string[] };
  const file = path.join(NEXT, 'server/app', `${entry}_client-reference-manifest.js`);
  const scope = { __RSC_MANIFEST: {} as Record<string, ClientManifest> };
  new Function('globalThis', readFileSync(file, 'utf8'))(scope);
  const manifest = scope.__RSC_MANIFEST[entry]!;
  const js = new Set([...buildManifest.rootMainFiles, ...Object.values(manifest.entryJSFiles).flat()]);
  const css = new Set(Object.values(manifest.entryCSSFiles).flat().map((f) => f.path));
  const sum = (files: Set<string>) => [...files].reduce((total, f) => total + gzipSize(f), 0);
  return { js: sum(js), css: sum(css), chunks: js.size };
}
