// Sweep, shard, merge and plan outputs: atomic directories, see report/output-dir.ts.
export { checkOutTarget, OutputDir as TreeWriter, writeTree } from '../report/output-dir.ts';
