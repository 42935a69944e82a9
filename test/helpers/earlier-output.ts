import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from './cli.ts';
import { expectRefusedInOneLine } from './errors.ts';

/**
 * Earlier outputs for the output-replacement tests: each command line is run once into the suite's
 * directory, then copied afresh for each test (each adds its own files to its own copy).
 */
export function earlierOutputs(dir: () => string): (name: string, args: string[]) => Promise<string> {
  const outputs = new Map<string, string>();
  return async (name, args) => {
    const key = args.join(' ');
    if (!outputs.has(key)) {
      const original = join(dir(), `original-${outputs.size}`);
      const r = await runMain([...args, '--out', original]);
      expect(r.code, show(r)).toBe(0);
      outputs.set(key, original);
    }
    const copy = join(dir(), name);
    cpSync(outputs.get(key)!, copy, { recursive: true });
    return copy;
  };
}

/** Writes the user's `files` into `out`, runs `args` on it, and expects a refusal naming `named` with every file kept. */
export async function expectKept(out: string, args: string[], files: Record<string, string>, named: RegExp): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(out, rel, '..'), { recursive: true });
    writeFileSync(join(out, rel), text);
  }
  const r = await runMain([...args, '--out', out]);
  expectRefusedInOneLine(r, named, show(r));
  for (const [rel, text] of Object.entries(files)) expect(readFileSync(join(out, rel), 'utf8')).toBe(text);
}
