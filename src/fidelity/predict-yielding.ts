import type { CorpusRow } from './corpus.ts';
import { predictRow, withRunCache, type Prediction, type PredictOptions } from './predict.ts';

/**
 * predictRows for a command: the same predictions, with a turn of the event loop after each row,
 * so that Ctrl-C and SIGTERM reach their handlers between rows. Predicting is synchronous, and a
 * signal waits for the JavaScript in progress to end: over a whole corpus that was seconds. One
 * row's run is bounded by 10 s of wall clock and takes milliseconds in practice.
 */
export async function predictRowsYielding(rows: readonly CorpusRow[], options: PredictOptions = {}): Promise<Prediction[]> {
  const o = withRunCache(options);
  const predictions: Prediction[] = [];
  for (const row of rows) {
    predictions.push(predictRow(row, o));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return predictions;
}
