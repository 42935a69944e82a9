import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Functions of at most about 70 lines (TigerBeetle's limit): a function that does not fit on a
 * screen hides its state. The few longer ones that remain are listed with their length today; the
 * list may only shrink: a listed function may not grow, and one brought under the limit must leave
 * the list, so the test says when the list is stale.
 */
const MAX_LINES = 70;
const STILL_LONGER: Record<string, number> = {
};

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []);
}

/** Every function with a body in a source text, with its name (or "(anonymous)") and its lines, first to last. */
export function functionLengths(fileName: string, text: string): { name: string; lines: number }[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: { name: string; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.end).line;
      found.push({ name: node.name ? node.name.getText(file) : '(anonymous)', lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('functions of at most about 70 lines', () => {
  it('measures a function from its first line to its last, nested ones too', () => {
    const body = Array.from({ length: 75 }, (_, i) => `  const x${i} = ${i};`).join('\n');
    const text = `export function outer() {\n${body}\n  const inner = () => {\n    return 1;\n  };\n}\n`;
    expect(functionLengths('x.ts', text)).toEqual([{ name: 'outer', lines: 80 }, { name: '(anonymous)', lines: 3 }]);
  });

  it(`no function in src/ is longer than ${MAX_LINES} lines, except those listed, and those do not grow`, () => {
    const longer: Record<string, number> = {};
    for (const file of sources(SRC)) {
      for (const f of functionLengths(file, readFileSync(file, 'utf8'))) {
        if (f.lines > MAX_LINES) longer[`${relative(SRC, file)} ${f.name}`] = f.lines;
      }
    }
    const unlisted = Object.keys(longer).filter((k) => !(k in STILL_LONGER)).map((k) => `${k}: ${longer[k]} lines`);
    const grown = Object.keys(longer).filter((k) => k in STILL_LONGER && longer[k] > STILL_LONGER[k]).map((k) => `${k}: ${longer[k]} lines, listed at ${STILL_LONGER[k]}`);
    const stale = Object.keys(STILL_LONGER).filter((k) => !(k in longer)).map((k) => `${k}: now within ${MAX_LINES} lines (or gone): take it off the list`);
    expect([...unlisted, ...grown, ...stale]).toEqual([]);
  });
});
