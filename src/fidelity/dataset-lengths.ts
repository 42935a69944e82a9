import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The prompt and output lengths of every sample of a benchmark's dataset, drawn in pairs by a
 * simulated run whose row names the dataset in its `lengths` column (run.ts lengthSampler).
 *
 * Why not a law around the means: a run near its capacity turns on the KV cache each sequence holds
 * while it decodes, which grows with the spread of the outputs (a sequence in flight has generated
 * E[L^2] / 2E[L] tokens on average: m for a geometric law, 0.81 m for MLPerf's OpenOrca set, whose
 * outputs stop at 1,024 tokens). Read as geometric, MLPerf v5.0's Llama 2 70B offline run on one
 * H200 came out 6% short and its server run at 94.5% of that rate past the simulated capacity;
 * drawn from the dataset, 2% short and the server run's mean TTFT and TPOT -7% and +13%
 * (docs/step-model.md, "MLPerf's server runs at the knee").
 */
export interface DatasetLengths {
  readonly prompts: Int32Array;
  readonly outputs: Int32Array;
  readonly prompt_mean: number;
  readonly output_mean: number;
}

/** Datasets with per-sample lengths in data/lengths/ (README.md there: sources and licence). */
export const LENGTH_DATASETS = ['openorca-mlperf', 'mixtral-mlperf', 'cnndm-mlperf', 'llama3.1-405b-mlperf'] as const;
export type LengthDataset = (typeof LENGTH_DATASETS)[number];

const LENGTHS_DIR = fileURLToPath(new URL('../../data/lengths/', import.meta.url));
/** The largest file read: the biggest dataset has 24,576 samples. */
const MAX_SAMPLES = 1_000_000;
const loaded = new Map<LengthDataset, DatasetLengths>();

export function isLengthDataset(name: string): name is LengthDataset {
  return (LENGTH_DATASETS as readonly string[]).includes(name);
}

/** A dataset's lengths, read once per process (the files are part of the repository). */
export function datasetLengths(name: LengthDataset): DatasetLengths {
  let d = loaded.get(name);
  if (!d) {
    d = parseLengths(readFileSync(`${LENGTHS_DIR}${name}.csv`, 'utf8'), name);
    loaded.set(name, d);
  }
  return d;
}

/** `input_length,output_length` then one line of two positive integers per sample. */
export function parseLengths(text: string, name: string): DatasetLengths {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== 'input_length,output_length') throw new Error(`data/lengths/${name}.csv: expected the header input_length,output_length`);
  const n = lines.length - 1;
  if (n < 1 || n > MAX_SAMPLES) throw new Error(`data/lengths/${name}.csv: expected 1 to ${MAX_SAMPLES} samples, found ${n}`);
  const prompts = new Int32Array(n), outputs = new Int32Array(n);
  let promptSum = 0, outputSum = 0;
  for (let i = 0; i < n; i++) {
    const [p, o] = lines[i + 1].split(',').map(Number);
    if (!(Number.isInteger(p) && p > 0 && Number.isInteger(o) && o > 0)) throw new Error(`data/lengths/${name}.csv line ${i + 2}: expected two positive integers`);
    prompts[i] = p;
    outputs[i] = o;
    promptSum += p;
    outputSum += o;
  }
  return { prompts, outputs, prompt_mean: promptSum / n, output_mean: outputSum / n };
}
