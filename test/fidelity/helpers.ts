import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_COLUMNS, CORPUS_HEADER, type CorpusColumn } from '../../src/fidelity/corpus.ts';

/** The synthetic fixture (invented figures, see fixtures/README.md). */
export const FIXTURE = fileURLToPath(new URL('./fixtures/synthetic-corpus.csv', import.meta.url));

export const fixtureText = (): string => readFileSync(FIXTURE, 'utf8');

/** A valid synthetic row as column -> cell, to be changed one cell at a time. */
export function baseCells(over: Partial<Record<CorpusColumn, string>> = {}): Record<CorpusColumn, string> {
  return {
    id: 'synthetic-test-row', split: 'validation', kind: 'decode', statistic: 'mean', value: '14', unit: 'ms',
    stack: 'vllm', stack_version: '0.6.0', gpu: 'a100-80gb', model: 'llama-2-7b', dtype: 'fp16', kv_dtype: '',
    tp: '1', ep: '1', batch: '8', request_rate_per_s: '', num_requests: '', prompt_tokens: '512', output_tokens: '128',
    lengths: 'fixed', source: 'SYNTHETIC test row (invented)', url: 'https://example.invalid/synthetic', licence: 'MIT (fleetsim test)',
    locator: 'invented', notes: '',
    ...over,
  };
}

/** RFC 4180 quoting where a cell needs it. */
const quote = (c: string) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);

export const csvLine = (cells: Record<CorpusColumn, string>): string => CORPUS_COLUMNS.map((c) => quote(cells[c])).join(',');

export function csvText(rows: Record<CorpusColumn, string>[]): string {
  return [CORPUS_HEADER, ...rows.map(csvLine)].join('\n') + '\n';
}

/** Writes files into a fresh temporary directory and returns their paths. */
export function writeTemp(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-fidelity-'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], text);
  }
  return paths;
}
