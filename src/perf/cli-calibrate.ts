import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { excerpt, listNames } from '../util/excerpt.ts';
import { calibrate, evaluateProfile, type CalibrationResult, type MapeSummary } from './calibrate.ts';
import { DEFAULT_CALIBRATION, loadCalibration } from './calibration.ts';
import { fraction, positiveIntList } from './cli-args.ts';
import { parseDtype } from './dtype.ts';
import { getGpu, getModel } from './lookup.ts';
import { gpuIdFor, loadMeasurements, modelIdFor, type MeasurementRow } from './measurements.ts';

interface CalibrateFlags {
  measurements?: string;
  model?: string;
  gpu?: string;
  dtype: string;
  fitTp?: string;
  base?: string;
  gpuMemoryUtilization?: string;
  out?: string;
  json?: boolean;
}

function single(rows: readonly MeasurementRow[], key: 'model' | 'hardware', flag: string): string {
  const names = [...new Set(rows.map((r) => r[key]))];
  if (names.length > 1) throw new UserError(`the measurements hold several ${key} names (${listNames(names)}): split the file, or pass ${flag} if they are one ${key}`);
  return names[0];
}

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(1)}%`);
const mapeLine = (m: MapeSummary) => `${pct(m.all)} (prefill ${pct(m.prefill)}, decode ${pct(m.decode)})`;

function report(r: CalibrationResult, before: CalibrationResult, heldOut: boolean): string {
  const out: string[] = [];
  out.push('tp  phase    prompt  batch  runs  measured_ms  predicted_ms  error');
  for (const p of r.points) {
    out.push(
      `${String(p.tp).padStart(2)}  ${p.phase.padEnd(7)}  ${String(p.prompt).padStart(6)}  ${String(p.batch).padStart(5)}  ${String(p.runs).padStart(4)}  ` +
      `${p.measured_ms.toFixed(1).padStart(11)}  ${p.predicted_ms.toFixed(1).padStart(12)}  ${(p.error_pct >= 0 ? '+' : '') + p.error_pct.toFixed(1)}%${p.fitted ? '' : '  (held out)'}`);
  }
  for (const e of r.excluded) out.push(`excluded line ${e.line}: ${e.reason}`);
  out.push('');
  out.push(`mean absolute percentage error, base factors: ${mapeLine(before.mape_pct)}`);
  out.push(`mean absolute percentage error, fitted:       ${mapeLine(r.mape_pct)}`);
  for (const [tp, m] of Object.entries(r.mape_pct_by_tp)) out.push(`  tp ${tp.padStart(2)}: ${mapeLine(m)}`);
  if (heldOut) out.push(`  held out (TP not fitted): ${mapeLine(r.mape_pct_held_out)}`);
  const p = r.profile;
  out.push('');
  out.push(`fitted: prefill_compute_efficiency ${p.prefill_compute_efficiency.toFixed(3)}, memory_bw_efficiency ${p.memory_bw_efficiency.toFixed(3)}, ` +
    `link_bw_efficiency ${p.link_bw_efficiency.toFixed(3)}, step_overhead_ms ${p.step_overhead_ms.toFixed(2)}, ` +
    `per_seq_overhead_ms ${p.per_seq_overhead_ms.toFixed(3)}, allreduce_latency_us ${p.allreduce_latency_us.toFixed(1)} ` +
    `(decode_compute_efficiency ${p.decode_compute_efficiency} kept)`);
  return out.join('\n') + '\n';
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('fit the step-time model\'s efficiency factors and overheads to measured prompt and decode timings (Splitwise CSV format)')
    .option('--measurements <file>', 'CSV: model, hardware, prompt_size, batch_size, token_size, prompt_time, token_time, tensor_parallel')
    .option('--model <id>', 'catalog model id of the measured model (default: from the CSV\'s model column)')
    .option('--gpu <id>', 'catalog GPU id of the measured hardware (default: from the CSV\'s hardware column)')
    .option('--dtype <t>', 'weight dtype of the measured runs', 'fp16')
    .option('--fit-tp <list>', 'fit on these tensor-parallel degrees only (e.g. 8 or 4,8); the others are predicted')
    .option('--base <file>', 'profile to start from and to take unfitted factors from (default: catalog defaults)')
    .option('--gpu-memory-utilization <f>', 'fraction of GPU memory the measured engine used', '0.9')
    .option('--out <file>', 'write the fitted calibration profile (JSON) here')
    .option('--json', 'print the points, errors and profile as one JSON object')
    .action((flags: CalibrateFlags) => {
      if (!flags.measurements) throw new UserError('--measurements: required (a CSV in the Splitwise format, e.g. scenarios/data/splitwise/llama2-70b-a100.csv)');
      const rows = loadMeasurements(flags.measurements);
      const model = getModel(flags.model ?? modelIdFor(single(rows, 'model', '--model')));
      const gpu = getGpu(flags.gpu ?? gpuIdFor(single(rows, 'hardware', '--gpu')));
      const base = flags.base ? loadCalibration(flags.base) : DEFAULT_CALIBRATION;
      const opts = {
        model, gpu, base,
        dtype: parseDtype(flags.dtype, '--dtype'),
        gpuMemoryUtilization: fraction(flags.gpuMemoryUtilization, '--gpu-memory-utilization'),
        fitTp: positiveIntList(flags.fitTp, '--fit-tp'),
      };
      const before = evaluateProfile(rows, base, opts);
      const result = calibrate(rows, opts);
      if (flags.out) {
        try {
          writeFileSync(flags.out, JSON.stringify(result.profile, null, 2) + '\n');
        } catch (e) {
          throw new UserError(`--out ${excerpt(flags.out)}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
      }
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ...result, mape_pct_base: before.mape_pct }, null, 2) + '\n');
      } else {
        process.stdout.write(report(result, before, opts.fitTp !== undefined));
        process.stdout.write(flags.out ? `profile written to ${flags.out}\n` : `profile (use --out FILE to save):\n${JSON.stringify(result.profile, null, 2)}\n`);
      }
    });
}
