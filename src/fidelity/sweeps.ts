import type { CorpusRow } from './corpus.ts';
import { stackEngine } from './predict.ts';

/**
 * Rows that look like a load sweep whose later points may have run on cached prompts. A sweep
 * sends one seeded prompt set at several request rates (or concurrencies) to one server; vLLM's
 * benchmark_serving.py keeps one --seed for every point, and the V1 engine caches prefixes by
 * default, so every point after the first finds its prompts cached, which a row says with a
 * `-cached-prompts` lengths cell (data/corpus/README.md). Two public sources of the corpus ran so
 * (docs/step-model.md, "Cached prompts in rate sweeps"), and read as new prompts their first
 * tokens at low load were 30-50% long at the p99. Which point ran first is not in the rows, so
 * fidelity only names such groups.
 */
export interface PossibleCachedSweep {
  /** the file and configuration: stack and version, GPU, model, TP, dtype, lengths, requests */
  readonly configuration: string;
  /** the load points measured: request rates (per s) or closed-loop concurrencies (cN) */
  readonly points: readonly string[];
  readonly rows: number;
}

/** The engines that cache prefixes unless told not to, and whose benchmark client reuses its seed. */
const CACHING_ENGINES: ReadonlySet<string> = new Set(['vllm']);

/** The load point of a serving row: its request rate, or its closed-loop concurrency. */
const loadPoint = (r: CorpusRow) => (r.request_rate_per_s !== undefined ? String(r.request_rate_per_s) : `c${r.batch}`);

/** Groups of finite serving runs of one configuration at two or more load points, none of them said to be on cached prompts. */
export function possibleCachedSweeps(rows: readonly CorpusRow[]): PossibleCachedSweep[] {
  const groups = new Map<string, CorpusRow[]>();
  for (const r of rows) {
    if (!r.kind.startsWith('serving_') || r.num_requests === undefined) continue;
    if (!CACHING_ENGINES.has(stackEngine(r.stack, r.stack_version, r.engine_args))) continue;
    const key = `${r.file}: ${r.stack} ${r.stack_version}, ${r.gpu}, ${r.model}, tp ${r.tp}, ${r.dtype}, ${r.lengths}, ${r.num_requests} requests`;
    const members = groups.get(key);
    if (members) members.push(r);
    else groups.set(key, [r]);
  }
  const out: PossibleCachedSweep[] = [];
  for (const [configuration, members] of groups) {
    const points = [...new Set(members.map(loadPoint))];
    if (points.length < 2 || members.some((r) => r.prompts_cached)) continue;
    out.push({ configuration, points, rows: members.length });
  }
  return out;
}

/** The line fidelity prints for them (none: no line). */
export function formatPossibleCachedSweeps(sweeps: readonly PossibleCachedSweep[]): string[] {
  if (sweeps.length === 0) return [];
  const rows = sweeps.reduce((n, s) => n + s.rows, 0);
  return [`sweeps: ${sweeps.length} ${sweeps.length === 1 ? 'configuration' : 'configurations'} (${rows} rows) measured at several loads on vLLM's V1 engine, which caches prefixes by default: ` +
    'if one seeded prompt set went to one server at each load, every point after the first found its prompts cached ' +
    '(say so with a lengths cell ending in -cached-prompts; data/corpus/README.md; --json lists them)'];
}
