// The fidelity evaluator's API, for the CLI and for `fleetsim calibrate` reading the corpus:
//   loadCorpus(paths) -> rows; predictRow(row, options) -> prediction; summarize(rows, predictions) -> table
export { loadCorpus, parseCorpus, type CorpusRow, type Kind, type Split, type Statistic, type Unit } from './corpus.ts';
export { predictRow, predictRows, profileFor, resolveRow, stackEngine, type Prediction, type PredictOptions } from './predict.ts';
export { formatTable, summarize, type FidelityTable, type GroupStat, type RowResult, type SplitFilter } from './table.ts';
