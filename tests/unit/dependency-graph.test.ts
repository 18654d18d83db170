import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLib, findCycles, importSpecifiers } from '@/scripts/dependency-graph';

// docs/architecture.md: dependencies point one way (app → lib/<capability> → infrastructure), lib
// never imports app, and no two lib folders import each other, directly or around a loop.

const root = path.resolve(import.meta.dirname, '../..');

describe('lib/ dependency graph', () => {
  const graph = analyzeLib(root);

  it('has no import loop between lib folders', () => {
    const explained = graph.cycles.map((cycle) => {
      const witnesses = cycle.slice(0, -1).map((from, i) => `${from} -> ${cycle[i + 1]} (${(graph.witnesses.get(`${from} -> ${cycle[i + 1]}`) ?? []).map((e) => e.from).join(', ')})`);
      return witnesses.join('; ');
    });
    expect(explained).toEqual([]);
  });

  it('never imports app from lib', () => {
    expect(graph.libToApp).toEqual([]);
  });

  it('keeps the foundation free of capabilities: config, crypto, db, errors, log and net import only each other', () => {
    const foundation = new Set(['lib/config', 'lib/crypto', 'lib/db', 'lib/errors', 'lib/log', 'lib/net']);
    const outward = [...foundation].flatMap((folder) => [...(graph.edges.get(folder) ?? [])].filter((to) => !foundation.has(to)).map((to) => `${folder} -> ${to}`));
    expect(outward).toEqual([]);
  });
});

describe('the analysis', () => {
  it('finds import, export-from, side-effect and dynamic imports, not commented ones', () => {
    const source = [
      "import { a } from '@/lib/a';",
      "import type { B } from '../b';",
      "export { c } from './c';",
      "export * from '@/lib/d/x';",
      "import '@/lib/e';",
      "const f = await import('@/lib/f');",
      "import {\n  g,\n  h,\n} from '@/lib/g';",
      "// import { z } from '@/lib/z';",
      "/* import { y } from '@/lib/y'; */",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['@/lib/a', '../b', './c', '@/lib/d/x', '@/lib/e', '@/lib/f', '@/lib/g']);
  });

  it('reports a loop across folders and lib importing app, with the files that cause them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deps-'));
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write('lib/a/index.ts', "import { b } from '@/lib/b';\nexport const a = b;\n");
    write('lib/b/index.ts', "import { c } from '../c/thing';\nexport const b = c;\n");
    write('lib/c/thing.ts', "import { a } from '@/lib/a';\nimport { page } from '@/app/page';\nexport const c = 1;\n");
    write('lib/d/index.ts', "import { a } from '@/lib/a';\n");
    const found = analyzeLib(dir);
    expect(found.cycles).toEqual([['lib/a', 'lib/b', 'lib/c', 'lib/a']]);
    expect(found.witnesses.get('lib/c -> lib/a')).toEqual([{ from: 'lib/c/thing.ts', to: 'lib/a' }]);
    expect(found.libToApp).toEqual([{ from: 'lib/c/thing.ts', to: 'app/page' }]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names each two-folder loop once', () => {
    const edges = new Map([
      ['lib/x', new Set(['lib/y'])],
      ['lib/y', new Set(['lib/x', 'lib/z'])],
      ['lib/z', new Set<string>()],
    ]);
    expect(findCycles(edges)).toEqual([['lib/x', 'lib/y', 'lib/x']]);
  });
});
