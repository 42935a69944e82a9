import { closest } from '../util/did-you-mean.ts';
import { excerpt } from '../util/excerpt.ts';

export { closest };
/**
 * Metric paths into summary.json: `requests.error_rate`, `by_model.gpt-3.5-turbo.latency_ms.ttft.p99`.
 *
 * Keys may contain dots (model names such as `gpt-3.5-turbo`), so a path is not split on dots up
 * front: at each level the longest key of the actual object that matches the rest of the path
 * (followed by a dot or the end) is taken. `ci95` siblings (replicated runs) are found beside the
 * figure: the interval of `a.b.p99` is `a.b.ci95.p99`.
 */

export type MetricResolution =
  | { ok: true; keys: string[]; value: unknown; ci95?: [number, number] }
  | { ok: false; message: string };

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * The longest own key of `node` (ci95 aside) that is `rest` or a prefix of it ending at a dot:
 * names may hold dots (a station "api.v2"). Tries the path's own prefixes, longest first, so the
 * cost is the path's, not the node's: a summary of 20,000 stations took minutes to compare when
 * every lookup scanned every key.
 */
function longestKeyPrefix(node: Obj, rest: string): string | undefined {
  for (let end = rest.length; end > 0; end = rest.lastIndexOf('.', end - 1)) {
    const k = rest.slice(0, end);
    if (k !== 'ci95' && Object.hasOwn(node, k)) return k;
  }
  return undefined;
}

/**
 * What a resolved value that is not one figure is, for the messages of budgets, --slo and
 * --minimize: a block of figures (an example below it helps), a list, a string or a boolean.
 */
export function notOneFigure(value: unknown): { kind: string; example?: string } {
  if (Array.isArray(value)) return { kind: 'a list' };
  if (isObj(value)) return { kind: 'a block of figures', example: Object.keys(value).find((k) => k !== 'ci95') };
  return { kind: `a ${typeof value}` };
}

/** Resolves `path` against `root`, longest key first at every level. */
export function resolveMetric(root: unknown, path: string): MetricResolution {
  if (path.trim() === '') return { ok: false, message: 'empty metric path' };
  const keys: string[] = [];
  let node: unknown = root;
  let rest = path;
  const parents: Obj[] = [];
  while (rest !== '') {
    if (!isObj(node)) {
      const at = keys.join('.');
      return { ok: false, message: `${excerpt(path)}: ${at} is a ${node === null ? 'null' : typeof node} figure, it has no field "${excerpt(rest)}"` };
    }
    // A percentile written with its decimal point (p99.9) is the summary's p999.
    const dotted = /^p(\d+)\.(\d+)(?=\.|$)/.exec(rest);
    if (dotted) {
      const key = `p${dotted[1]}${dotted[2]}`;
      if (!Object.hasOwn(node, key)) {
        const percentiles = Object.keys(node).filter((k) => /^p\d+$/.test(k));
        return { ok: false, message: `${excerpt(path)}: no percentile ${excerpt(dotted[0])} in ${keys.join('.') || 'summary.json'} (it has: ${percentiles.join(', ') || 'none'}; p99.9 is written p999 or p99.9)` };
      }
      rest = key + rest.slice(dotted[0].length);
    }
    const k = longestKeyPrefix(node, rest);
    if (k === undefined) {
      const first = rest.split('.')[0];
      const options = Object.keys(node).filter((k) => k !== 'ci95');
      const guess = closest(first, options) ?? options.find((o) => o.startsWith(first));
      const where = keys.length === 0 ? 'summary.json' : keys.join('.');
      const hint = guess ? `; did you mean "${[...keys, guess].join('.')}"?` : '';
      const list = options.length <= 12 ? ` (it has: ${options.join(', ')})` : '';
      return { ok: false, message: `${excerpt(path)}: no field "${excerpt(first)}" in ${where}${hint}${list}` };
    }
    parents.push(node);
    keys.push(k);
    node = node[k];
    rest = rest.slice(k.length + 1);
  }
  const parent = parents[parents.length - 1];
  const ciBlock = parent?.ci95;
  const leaf = keys[keys.length - 1];
  const ci = isObj(ciBlock) ? ciBlock[leaf] : undefined;
  const ci95 = Array.isArray(ci) && ci.length === 2 && ci.every((x) => typeof x === 'number') ? (ci as [number, number]) : undefined;
  return { ok: true, keys, value: node, ...(ci95 ? { ci95 } : {}) };
}

/** Every numeric leaf of `root` as a metric path (ci95 blocks left out), in document order. */
export function listMetricPaths(root: unknown, prefix = ''): string[] {
  if (!isObj(root)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(root)) {
    if (k === 'ci95') continue;
    const p = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' || v === null) out.push(p);
    else if (isObj(v)) out.push(...listMetricPaths(v, p));
  }
  return out;
}
