import type { CorpusRow } from './corpus.ts';
import { predictRow, withRunCache, type Prediction, type PredictOptions } from './predict.ts';

/**
 * predictRows for a command: the same predictions, with a turn of the event loop after each row,
 * so that Ctrl-C and SIGTERM reach their handlers between rows. Predicting is synchronous, and a
 * signal waits for the JavaScript in progress to end: over a whole corpus that was seconds. One
 * row's run is bounded by 10 s of wall clock and takes milliseconds in practice.
 *
 * `wallLeft_ms` bounds the whole command (100,000 serving rows at up to 10 s each would run for
 * days): once it is spent, the rows left are not evaluated, each saying why, and no run is cut
 * short below its own bound.
 */
export async function predictRowsYielding(rows: readonly CorpusRow[], options: PredictOptions = {}, wallLeft_ms: () => number = () => Infinity): Promise<Prediction[]> {
  const o = withRunCache(options);
  const predictions: Prediction[] = [];
  for (const row of rows) {
    predictions.push(wallLeft_ms() > 0 ? predictRow(row, o) : { id: row.id, status: 'not_evaluated', reason: WALL_SPENT_REASON });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return predictions;
}

/** Why a row was not predicted once the command's wall time ran out. */
export const WALL_SPENT_REASON = "not predicted: the command's wall time (--max-wall-s) ran out";
