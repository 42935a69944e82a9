import type { CorpusRow } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';

/** One corpus row against fleetsim's prediction of it: the absolute relative error, and the simulated load (NaN where the row has none). */
export interface RowError {
  readonly row: CorpusRow;
  readonly error: number;
  readonly load: number;
}

/**
 * Predicts every row (each with its stack's profile, the first seed) and returns its absolute
 * relative error; a row fleetsim cannot predict fails the test, naming it and why.
 */
export function predictedErrors(rows: readonly CorpusRow[]): RowError[] {
  const predictions = predictRows(rows);
  return rows.map((row, i) => {
    const p = predictions[i];
    if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
    return { row, error: Math.abs(p.value / row.value - 1), load: p.load };
  });
}

/** The mean of the errors (MAPE as a fraction). */
export function meanError(errors: readonly { readonly error: number }[]): number {
  return errors.reduce((sum, e) => sum + e.error, 0) / errors.length;
}
