import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.ts';
import { getGpu, getModel } from '../perf/lookup.ts';
import { resolveEngine } from '../perf/profiles.ts';
import { buildSpeculativeStepModel, SPECULATIVE_METHODS, type SpeculativeMethod } from '../perf/speculative.ts';
import { DTYPES, type Dtype } from '../perf/dtype.ts';
import { showCell } from './corpus.ts';
import { groupStat, type GroupStat } from './table.ts';
import { stackEngine } from './predict.ts';
import { readInputText } from '../util/read-input.ts';

/**
 * Published speculative-decoding measurements (data/corpus/speculative/, format in its README)
 * against the step model under speculation: each row's decode speedup at its batch, or how that
 * speedup at one batch compares with another, predicted at the row's mean context.
 */

export const SPECULATIVE_CORPUS_DIR = fileURLToPath(new URL('../../data/corpus/speculative/', import.meta.url));

const COLUMNS = ['id', 'kind', 'value', 'stack', 'stack_version', 'gpu', 'model', 'dtype', 'tp', 'method', 'tokens_per_step', 'acceptance_rate',
  'batch', 'reference_batch', 'prompt_tokens', 'output_tokens', 'source', 'url', 'locator', 'notes'] as const;
type Column = (typeof COLUMNS)[number];
const KINDS = ['speedup', 'speedup_ratio'] as const;

export interface SpeculativeRow {
  id: string; file: string; line: number;
  kind: (typeof KINDS)[number]; value: number;
  stack: string; stack_version: string; gpu: string; model: string; dtype: Dtype; tp: number;
  method: SpeculativeMethod; tokens_per_step: number; acceptance_rate: number;
  batch: number; reference_batch?: number; prompt_tokens: number; output_tokens: number;
  source: string; notes: string;
}

function parseRow(cells: Record<Column, string>, file: string, line: number): SpeculativeRow {
  const bad = (column: Column, expected: string): never => {
    throw new UserError(`${file}:${line}: ${column}: expected ${expected}, got "${showCell(cells[column] ?? '')}"`);
  };
  const oneOf = <T extends string>(column: Column, values: readonly T[]) =>
    (values as readonly string[]).includes(cells[column]) ? cells[column] as T : bad(column, `one of ${values.join(', ')}`);
  const int = (column: Column) => (/^\d+$/.test(cells[column]) && Number(cells[column]) > 0 ? Number(cells[column]) : bad(column, 'a positive integer'));
  const positive = (column: Column) => (/^\d+(\.\d+)?$/.test(cells[column]) && Number(cells[column]) > 0 ? Number(cells[column]) : bad(column, 'a positive plain decimal'));
  const acceptance = Number(cells.acceptance_rate);
  if (!/^\d+(\.\d+)?$/.test(cells.acceptance_rate) || !(acceptance < 1)) bad('acceptance_rate', 'a number in [0, 1)');
  const kind = oneOf('kind', KINDS);
  if (kind === 'speedup_ratio' && cells.reference_batch === '') bad('reference_batch', 'the batch the speedup is compared with (kind speedup_ratio)');
  for (const column of ['id', 'stack', 'gpu', 'model', 'source'] as const) if (cells[column] === '') bad(column, 'a value');
  return {
    id: cells.id, file, line, kind, value: positive('value'), stack: cells.stack, stack_version: cells.stack_version || 'unknown', gpu: cells.gpu, model: cells.model,
    dtype: oneOf('dtype', DTYPES), tp: int('tp'), method: oneOf('method', SPECULATIVE_METHODS), tokens_per_step: int('tokens_per_step'),
    acceptance_rate: acceptance, batch: int('batch'), reference_batch: cells.reference_batch === '' ? undefined : int('reference_batch'),
    prompt_tokens: int('prompt_tokens'), output_tokens: int('output_tokens'), source: cells.source, notes: cells.notes,
  };
}

export function loadSpeculativeCorpus(dir = SPECULATIVE_CORPUS_DIR): SpeculativeRow[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.csv')).sort() : [];
  return files.flatMap((name) => {
    const file = join(dir, name);
    const records = parse(readInputText(file, file, (code) => `cannot read speculative-decoding measurements: ${code}`), { relax_column_count: true, info: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[];
    const header = records[0]?.record.join(',');
    if (header !== COLUMNS.join(',')) throw new UserError(`${file}:1: header: expected ${COLUMNS.join(',')}, got "${showCell(header ?? '')}"`);
    return records.slice(1).map(({ record, info }) => {
      if (record.length !== COLUMNS.length) throw new UserError(`${file}:${info.lines}: row: expected ${COLUMNS.length} fields, got ${record.length}`);
      return parseRow(Object.fromEntries(COLUMNS.map((c, i) => [c, record[i].trim()])) as Record<Column, string>, file, info.lines);
    });
  });
}

/** The decode speedup fleetsim predicts for a row at `batch` sequences, each at the row's mean context. */
function predictedSpeedup(row: SpeculativeRow, batch: number): number {
  const model = getModel(row.model, `${row.file}:${row.line}: model`);
  const gpu = getGpu(row.gpu, `${row.file}:${row.line}: gpu`);
  const calibration = resolveEngine(stackEngine(row.stack, row.stack_version), undefined, 'stack');
  const spec = { method: row.method, tokens_per_step: row.tokens_per_step, acceptance_rate: row.acceptance_rate };
  const step = buildSpeculativeStepModel({ model, gpu, tp: row.tp, dtype: row.dtype, calibration, speculative: spec });
  const context = batch * (row.prompt_tokens + row.output_tokens / 2);
  return step.plain.stepTimeMs(0, 0, batch, context) / step.stepTimeMs(0, 0, batch, context);
}

export interface SpeculativeResult {
  id: string; kind: string; model: string; gpu: string; method: string; batch: number; reference_batch?: number;
  measured: number; predicted: number; error_pct: number;
}

export function predictSpeculative(rows: readonly SpeculativeRow[]): { rows: SpeculativeResult[]; overall: GroupStat } {
  const results = rows.map((r) => {
    const predicted = r.kind === 'speedup' ? predictedSpeedup(r, r.batch) : predictedSpeedup(r, r.batch) / predictedSpeedup(r, r.reference_batch!);
    return {
      id: r.id, kind: r.kind, model: r.model, gpu: r.gpu, method: r.method, batch: r.batch, reference_batch: r.reference_batch,
      measured: r.value, predicted, error_pct: 100 * (predicted - r.value) / r.value,
    };
  });
  return { rows: results, overall: groupStat(results.map((r) => r.error_pct)) };
}

export function formatSpeculative(t: { rows: SpeculativeResult[]; overall: GroupStat }): string {
  const lines = [`speculative decoding: ${t.overall.n} rows, MAPE ${t.overall.mape_pct.toFixed(1)}%, bias ${t.overall.bias_pct >= 0 ? '+' : ''}${t.overall.bias_pct.toFixed(1)}%`];
  for (const r of t.rows) {
    const at = r.reference_batch === undefined ? `batch ${r.batch}` : `batch ${r.batch} / batch ${r.reference_batch}`;
    lines.push(`  ${r.id.padEnd(40)} ${r.kind.padEnd(13)} ${at.padEnd(20)} measured ${r.measured.toFixed(3)}  predicted ${r.predicted.toFixed(3)}  ${r.error_pct >= 0 ? '+' : ''}${r.error_pct.toFixed(1)}%`);
  }
  return lines.join('\n') + '\n';
}
