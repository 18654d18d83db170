// Folder-level dependency analysis of lib/ (docs/architecture.md: dependencies point one way,
// lib never imports app). Pure Node: no import from lib, so the check itself cannot join a loop.
import fs from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  from: string; // importing file, relative to the project root
  to: string; // resolved target, relative to the project root (without extension)
}

export interface FolderGraph {
  /** lib/<folder> → the set of lib/<folder> it imports (self-edges left out). */
  edges: Map<string, Set<string>>;
  /** For each folder edge "a -> b", the files in a that import b (for explaining a loop). */
  witnesses: Map<string, ImportEdge[]>;
  /** Imports from lib into app/ (forbidden). */
  libToApp: ImportEdge[];
  /** Every cycle, as a list of folders [a, b, ..., a]. */
  cycles: string[][];
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;
// import … from '…', export … from '…', import '…', import('…'); type-only imports count too: a
// type import is still a dependency of one capability on another.
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function listSources(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'generated') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The import specifiers of one source text. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of stripComments(source).matchAll(SPECIFIER)) {
    const spec = match[1] ?? match[2];
    if (spec) found.push(spec);
  }
  return found;
}

/** Resolves a specifier to a project-relative path, or null when it is a package. */
export function resolveSpecifier(root: string, fromFile: string, spec: string): string | null {
  let target: string;
  if (spec.startsWith('@/')) target = path.join(root, spec.slice(2));
  else if (spec.startsWith('./') || spec.startsWith('../')) target = path.resolve(path.dirname(fromFile), spec);
  else return null;
  return path.relative(root, target).split(path.sep).join('/');
}

/** "lib/sessions/auth" → "lib/sessions"; a file directly under lib/ ("lib/x.ts") is its own node. */
export function libFolder(relative: string): string | null {
  const parts = relative.split('/');
  if (parts[0] !== 'lib' || parts.length < 2) return null;
  return `lib/${parts[1]!.replace(SOURCE, '')}`;
}

export function findCycles(edges: Map<string, Set<string>>): string[][] {
  // Tarjan's strongly connected components; every component with more than one folder is a loop.
  // Each loop is then reported as its shortest cycles through each edge, which names the imports
  // to remove.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])])].sort();

  const strongConnect = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!indices.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of nodes) if (!indices.has(v)) strongConnect(v);

  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const component of components) {
    const inside = new Set(component);
    for (const a of component) {
      for (const b of [...(edges.get(a) ?? [])].sort()) {
        if (!inside.has(b)) continue;
        // Shortest path b → a inside the component closes the cycle a → b → … → a.
        const previous = new Map<string, string>([[b, b]]);
        const queue = [b];
        while (queue.length && !previous.has(a)) {
          const x = queue.shift()!;
          for (const y of [...(edges.get(x) ?? [])].sort()) {
            if (inside.has(y) && !previous.has(y)) {
              previous.set(y, x);
              queue.push(y);
            }
          }
        }
        if (!previous.has(a)) continue;
        const back: string[] = [];
        for (let x = a; x !== b; x = previous.get(x)!) back.unshift(x);
        const cycle = [a, b, ...back];
        // Canonical form: rotate so the smallest folder comes first.
        const body = cycle.slice(0, -1);
        const start = body.indexOf([...body].sort()[0]!);
        const rotated = [...body.slice(start), ...body.slice(0, start)];
        const key = rotated.join(' -> ');
        if (seen.has(key)) continue;
        seen.add(key);
        cycles.push([...rotated, rotated[0]!]);
      }
    }
  }
  return cycles.sort((x, y) => x.length - y.length || x.join().localeCompare(y.join()));
}

/** Builds the folder graph of lib/ under the given project root. */
export function analyzeLib(root: string): FolderGraph {
  const edges = new Map<string, Set<string>>();
  const witnesses = new Map<string, ImportEdge[]>();
  const libToApp: ImportEdge[] = [];
  for (const file of listSources(path.join(root, 'lib'))) {
    const from = path.relative(root, file).split(path.sep).join('/');
    const fromFolder = libFolder(from)!;
    if (!edges.has(fromFolder)) edges.set(fromFolder, new Set());
    for (const spec of importSpecifiers(fs.readFileSync(file, 'utf8'))) {
      const to = resolveSpecifier(root, file, spec);
      if (!to) continue;
      if (to === 'app' || to.startsWith('app/')) {
        libToApp.push({ from, to });
        continue;
      }
      const toFolder = libFolder(to);
      if (!toFolder || toFolder === fromFolder) continue;
      edges.get(fromFolder)!.add(toFolder);
      const key = `${fromFolder} -> ${toFolder}`;
      if (!witnesses.has(key)) witnesses.set(key, []);
      witnesses.get(key)!.push({ from, to });
    }
  }
  return { edges, witnesses, libToApp, cycles: findCycles(edges) };
}

/** Human-readable report; the caller decides the exit status from graph.cycles and graph.libToApp. */
export function formatGraph(graph: FolderGraph): string {
  const lines: string[] = ['lib/ folder dependencies:'];
  for (const folder of [...graph.edges.keys()].sort()) {
    const targets = [...graph.edges.get(folder)!].sort();
    lines.push(`  ${folder} -> ${targets.length ? targets.join(', ') : '(nothing in lib)'}`);
  }
  if (graph.libToApp.length) {
    lines.push('', 'lib imports app (forbidden):');
    for (const edge of graph.libToApp) lines.push(`  ${edge.from} -> ${edge.to}`);
  }
  if (graph.cycles.length) {
    lines.push('', `${graph.cycles.length} import loop(s):`);
    for (const cycle of graph.cycles) {
      lines.push(`  ${cycle.join(' -> ')}`);
      for (let i = 0; i < cycle.length - 1; i++) {
        const key = `${cycle[i]} -> ${cycle[i + 1]}`;
        for (const edge of graph.witnesses.get(key) ?? []) lines.push(`      ${edge.from} imports ${edge.to}`);
      }
    }
  } else lines.push('', 'No import loops.');
  return lines.join('\n');
}
