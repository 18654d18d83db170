// npm run deps:graph: prints lib/'s folder-level dependency graph and fails on an import loop or on
// lib importing app (docs/architecture.md, "Dependencies point one way").
import path from 'node:path';
import { analyzeLib, formatGraph } from './dependency-graph';

const root = path.resolve(import.meta.dirname, '..');
const graph = analyzeLib(root);
console.log(formatGraph(graph));
if (graph.cycles.length || graph.libToApp.length) process.exitCode = 1;
