import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addEdge, describeCycle, findCycle, importSpecifiers, layersFromTable, layerViolations, partGraph, type PartGraph } from './import-graph.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const ARCHITECTURE = fileURLToPath(new URL('../../docs/architecture.md', import.meta.url));

const graphOf = (arrows: [string, string][]): PartGraph => {
  const graph: PartGraph = new Map();
  for (const [from, to] of arrows) addEdge(graph, from, to, `${from}/x.ts -> ${to}/y.ts`);
  return graph;
};

describe('the folders of src/ form layers', () => {
  const { parts, graph } = partGraph(SRC);
  const layers = layersFromTable(readFileSync(ARCHITECTURE, 'utf8'));

  it('have no import cycle between them (type imports included)', () => {
    const cycle = findCycle(graph);
    expect(cycle && describeCycle(graph, cycle)).toBeUndefined();
  });

  it('each import only parts listed in a lower layer of docs/architecture.md', () => {
    expect(layerViolations(graph, layers)).toEqual([]);
  });

  it('are the parts the table of docs/architecture.md lists, no more and no fewer', () => {
    expect([...layers.keys()].sort()).toEqual([...parts].sort());
  });

  it('are read from every import form (the graph is not empty or partial)', () => {
    // Arrows known to exist: a static import (cli/main.ts), a type-only one (results/run-result.ts's StopReason).
    expect(graph.get('cli')?.has('experiment')).toBe(true);
    expect(graph.get('results')?.has('engine')).toBe(true);
    expect(parts.size).toBeGreaterThan(10);
  });
});

describe('the import-graph checks themselves', () => {
  it('find a cycle through three parts and name it as a closed path with example imports', () => {
    const graph = graphOf([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd']]);
    const cycle = findCycle(graph);
    expect(cycle).toEqual(['a', 'b', 'c', 'a']);
    expect(describeCycle(graph, cycle!)).toBe(
      'import cycle: a -> b -> c -> a\n  a -> b   e.g. a/x.ts -> b/y.ts\n  b -> c   e.g. b/x.ts -> c/y.ts\n  c -> a   e.g. c/x.ts -> a/y.ts',
    );
  });

  it('find a two-part cycle reached only through parts outside it', () => {
    expect(findCycle(graphOf([['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'c']]))).toEqual(['c', 'd', 'c']);
  });

  it('find none in a graph without cycles, however its arrows converge', () => {
    expect(findCycle(graphOf([['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['d', 'e']]))).toBeUndefined();
  });

  it('ignore imports inside one part', () => {
    expect(findCycle(graphOf([['a', 'a'], ['a', 'b']]))).toBeUndefined();
  });

  it('read static, type-only, re-exported, side-effect, multi-line, dynamic and type-level imports, and worker URLs', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "import './e.mjs';",
      'import {\n  f,\n  type G,\n} from "./f.ts";',
      "const h = await import('./h.ts');",
      "let i: import('../i/i.ts').I;",
      "const j = new URL('./j.mjs', import.meta.url);",
      "import k, * as l from 'node:fs';",
      'export const m = 1;',
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../b/b.ts', '../i/i.ts', './a.ts', './c.ts', './d.ts', './e.mjs', './f.ts', './h.ts', './j.mjs', 'node:fs'].sort());
  });

  it('read the layer table: backticked folders and root files, one layer each', () => {
    const doc = '| layer | folder | holds |\n| --- | --- | --- |\n| 0 | `errors.ts`, `version.ts` | x |\n| 1 | `util/` | y |\n| 2 | `engine/` | z |\n';
    expect([...layersFromTable(doc)]).toEqual([['errors', 0], ['version', 0], ['util', 1], ['engine', 2]]);
    expect(() => layersFromTable(`${doc}| 3 | \`util/\` | again |\n`)).toThrow('names util twice');
  });

  it('report an import up or sideways in the layers, and a part the table leaves out', () => {
    const layers = new Map([['util', 0], ['metrics', 1], ['cost', 1], ['engine', 2]]);
    const graph = graphOf([['engine', 'util'], ['util', 'engine'], ['metrics', 'cost'], ['engine', 'stray']]);
    expect(layerViolations(graph, layers)).toEqual([
      'engine -> stray: not both in the layer table   e.g. engine/x.ts -> stray/y.ts',
      'metrics (layer 1) -> cost (layer 1)   e.g. metrics/x.ts -> cost/y.ts',
      'util (layer 0) -> engine (layer 2)   e.g. util/x.ts -> engine/y.ts',
    ]);
  });
});
