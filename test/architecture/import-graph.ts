// The import graph between the top-level parts of src/ (its folders, and its root files such as
// errors.ts), read from the source text: what test/architecture/layers.test.ts checks.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Every way one source file names another: static `import ... from` and `export ... from` (type-only
 * included, one line or many), side-effect `import '...'`, dynamic and type-level `import('...')`,
 * and `new URL('...', import.meta.url)` (worker scripts and data files found at run time).
 */
const STATIC_IMPORT = /\b(?:import|export)\s+(?:type\s+)?(?:[\w$*{},\s]+?\s+from\s+)?(['"])([^'"\n]+)\1/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;
const URL_OF_MODULE = /\bnew\s+URL\s*\(\s*(['"])([^'"\n]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/** The module specifiers a source text names, in order of appearance within each form. */
export function importSpecifiers(text: string): string[] {
  return [STATIC_IMPORT, DYNAMIC_IMPORT, URL_OF_MODULE].flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[2]));
}

/** Source files below `dir`: TypeScript and JavaScript modules, sorted (so examples are stable). */
export function sourceFiles(dir: string): string[] {
  const found = readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
  return found.sort();
}

/** The top-level part of src/ a path lies in: its first folder, or a root file's name without extension. */
export function partOf(srcRoot: string, path: string): string {
  const segments = relative(srcRoot, path).split(sep);
  return segments.length > 1 ? segments[0] : segments[0].replace(/\.[^.]+$/, '');
}

/** Part-to-part imports: for each arrow, one example import ("file -> file", relative to src/). */
export type PartGraph = Map<string, Map<string, string>>;

export function addEdge(graph: PartGraph, from: string, to: string, example: string): void {
  if (from === to) return; // imports inside one part are its own business
  let arrows = graph.get(from);
  if (!arrows) graph.set(from, (arrows = new Map()));
  if (!arrows.has(to)) arrows.set(to, example);
}

/** Reads every source file below srcRoot and builds the graph of its relative imports between parts. */
export function partGraph(srcRoot: string): { parts: Set<string>; graph: PartGraph } {
  const root = resolve(srcRoot);
  const parts = new Set<string>();
  const graph: PartGraph = new Map();
  for (const file of sourceFiles(root)) {
    const from = partOf(root, file);
    parts.add(from);
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue; // a package or node: builtin
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(root + sep)) continue; // outside src/ (data files)
      addEdge(graph, from, partOf(root, target), `${relative(root, file)} -> ${relative(root, target)}`);
    }
  }
  return { parts, graph };
}

/**
 * One cycle of the graph as a closed path [a, b, ..., a], or undefined when it has none. Depth-first
 * search over the parts in sorted order: a part met again while still on the path closes a cycle.
 */
export function findCycle(graph: PartGraph): string[] | undefined {
  const finished = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (part: string): string[] | undefined => {
    path.push(part);
    onPath.add(part);
    for (const next of [...(graph.get(part)?.keys() ?? [])].sort()) {
      if (onPath.has(next)) return [...path.slice(path.indexOf(next)), next];
      if (finished.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(part);
    finished.add(part);
    return undefined;
  };
  for (const part of [...graph.keys()].sort()) {
    if (finished.has(part)) continue;
    const cycle = visit(part);
    if (cycle) return cycle;
  }
  return undefined;
}

/** A cycle as lines: the ring of parts, then each arrow with its example import. */
export function describeCycle(graph: PartGraph, cycle: string[]): string {
  const arrows = cycle.slice(1).map((to, i) => `  ${cycle[i]} -> ${to}   e.g. ${graph.get(cycle[i])!.get(to)}`);
  return [`import cycle: ${cycle.join(' -> ')}`, ...arrows].join('\n');
}

/**
 * The layer of each part from the table of docs/architecture.md: rows `| <layer number> | <cell> |
 * ...` whose second cell names parts in backticks (`util/` is the folder util, `errors.ts` the root
 * file errors). A part named twice is an error.
 */
export function layersFromTable(markdown: string): Map<string, number> {
  const layers = new Map<string, number>();
  for (const row of markdown.matchAll(/^\|\s*(\d+)\s*\|([^|\n]*)\|/gm)) {
    for (const name of row[2].matchAll(/`([^`]+)`/g)) {
      const part = name[1].replace(/\/$/, '').replace(/\.(ts|mts|mjs|js)$/, '');
      if (layers.has(part)) throw new Error(`the layer table names ${part} twice`);
      layers.set(part, Number(row[1]));
    }
  }
  return layers;
}

/** Arrows that do not point to a strictly lower layer (or touch a part the table leaves out), as lines. */
export function layerViolations(graph: PartGraph, layers: Map<string, number>): string[] {
  const problems: string[] = [];
  for (const [from, arrows] of [...graph.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [to, example] of [...arrows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const fromLayer = layers.get(from);
      const toLayer = layers.get(to);
      if (fromLayer === undefined || toLayer === undefined) problems.push(`${from} -> ${to}: not both in the layer table   e.g. ${example}`);
      else if (toLayer >= fromLayer) problems.push(`${from} (layer ${fromLayer}) -> ${to} (layer ${toLayer})   e.g. ${example}`);
    }
  }
  return problems;
}
