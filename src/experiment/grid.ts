import { UserError } from '../errors.ts';
import { parseFlagValue } from '../scenario/document.ts';
import { RESERVED_NAMES } from '../util/reserved-names.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { DECIMAL_PATTERN } from '../util/decimal.ts';

/**
 * `--vary` knobs and the grid of points they span.
 *
 *   --vary path=v1,v2,...     a list (each value read as YAML, like --set): a categorical knob
 *   --vary path=lo..hi:step   a numeric range, hi included when it falls on the step: a monotone knob
 *
 * Points are the cartesian product of the knobs, the last knob varying fastest; point k is the
 * k-th of that product, whatever runs it (worker, shard), so outputs are ordered by k.
 */

export type KnobValue = unknown;

/** 'range' knobs are numeric and ascending (plan bisects them); 'list' knobs are categorical. */
export const KNOB_KINDS = ['list', 'range'] as const;

export interface Knob {
  /** Scenario path as given (`fleet.models.gpt-3.5-turbo.gpus`); resolved against the document, longest key first. */
  path: string;
  kind: (typeof KNOB_KINDS)[number];
  values: KnobValue[];
  /** Every value is a finite number (charts put such a knob on an x axis). */
  numeric: boolean;
  /** The flag as the user wrote it, for messages. */
  spec: string;
}

export interface GridPoint {
  index: number;
  /** One value per knob, in knob order. */
  values: KnobValue[];
}

/** Upper bound on the values of one knob and on the points of a grid (a guard against typos like 1..1e9:1). */
export const MAX_KNOB_VALUES = 100_000;
export const MAX_GRID_POINTS = 1_000_000;
/**
 * A plan bisects its range knobs (about log2(values) runs each), so a range may be longer there,
 * and only the combinations of list knobs (each searched whole) count against MAX_GRID_POINTS.
 */
export const MAX_BISECTED_VALUES = 2_000_000;

/** How the knobs will be searched: every point (sweep) or list knobs whole and range knobs by bisection (plan). */
export type SearchKind = 'grid' | 'bisect';

const EXPECTED = 'expected path=v1,v2,... or path=lo..hi:step (e.g. topology.stations.api.servers=8..16:2)';

function bad(spec: string, why: string): UserError {
  return new UserError(`--vary ${excerpt(spec)}: ${why}`);
}

/** Splits on commas outside brackets, braces and quotes, so YAML flow values ([1, 2], {a: 1}) stay whole. */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}


const NUM = DECIMAL_PATTERN;
const RANGE = new RegExp(`^\\s*(${NUM})\\s*\\.\\.\\s*(${NUM})\\s*(?::\\s*(${NUM})\\s*)?$`);

/** Twelve significant digits: lo + j * step without the binary noise (0.1 + 0.2). */
const tidy = (x: number) => Number(x.toPrecision(12));

/** Parses one --vary flag. */
export function parseKnob(spec: string, search: SearchKind = 'grid'): Knob {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw bad(spec, EXPECTED);
  const path = spec.slice(0, eq).trim();
  const rhs = spec.slice(eq + 1);
  if (path.split('.').some((p) => p === '')) throw bad(spec, `empty segment in path ${quote(path)}; ${EXPECTED}`);
  const reserved = path.split('.').find((p) => RESERVED_NAMES.has(p));
  if (reserved !== undefined) throw bad(spec, `"${reserved}" is not a scenario field`);
  if (rhs.trim() === '') throw bad(spec, `no values; ${EXPECTED}`);
  const m = RANGE.exec(rhs);
  if (m) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (!(step > 0)) throw bad(spec, `expected a step > 0 in lo..hi:step, got ${m[3]}`);
    if (hi < lo) throw bad(spec, `expected lo <= hi in lo..hi:step, got ${m[1]}..${m[2]}`);
    const n = Math.floor((hi - lo) / step + 1e-9) + 1;
    const most = search === 'bisect' ? MAX_BISECTED_VALUES : MAX_KNOB_VALUES;
    if (n > most) throw bad(spec, `expected at most ${most} values, the range has ${n}`);
    const values = Array.from({ length: n }, (_, j) => tidy(lo + j * step));
    return { path, kind: 'range', values, numeric: true, spec };
  }
  if (/^\s*[-+]?\.?\d[^,]*\.\./.test(rhs)) throw bad(spec, `${quote(rhs)} is not a range of numbers; ${EXPECTED}`);
  const parts = splitTopLevel(rhs);
  if (parts.some((p) => p.trim() === '')) throw bad(spec, `empty value in ${quote(rhs)}; ${EXPECTED}`);
  const values = parts.map((p) => parseFlagValue(p.trim(), `--vary ${excerpt(spec)}`, path));
  const seen = new Set<string>();
  for (const v of values) {
    const key = JSON.stringify(v);
    if (seen.has(key)) throw bad(spec, `value ${quote(v)} is listed twice`);
    seen.add(key);
  }
  return { path, kind: 'list', values, numeric: values.every((v) => typeof v === 'number' && Number.isFinite(v)), spec };
}

/** A knob rebuilt from a manifest (sweep.json, shard.json). */
export function knobFromMeta(m: { path: string; kind: Knob['kind']; values: KnobValue[] }): Knob {
  const numeric = m.values.every((v) => typeof v === 'number' && Number.isFinite(v));
  return { path: m.path, kind: m.kind, values: m.values, numeric, spec: `${m.path}=${m.values.map(formatValue).join(',')}` };
}

export function parseKnobs(specs: readonly string[], search: SearchKind = 'grid'): Knob[] {
  const knobs = specs.map((s) => parseKnob(s, search));
  const paths = new Set<string>();
  for (const k of knobs) {
    if (paths.has(k.path)) throw bad(k.spec, `the path ${k.path} is varied twice`);
    paths.add(k.path);
  }
  if (search === 'grid') {
    const total = gridSize(knobs);
    if (total > MAX_GRID_POINTS) throw new UserError(`--vary: the grid has ${total} points; expected at most ${MAX_GRID_POINTS}`);
    return knobs;
  }
  const combinations = gridSize(knobs.filter((k) => k.kind === 'list'));
  if (combinations > MAX_GRID_POINTS) throw new UserError(`--vary: the list knobs make ${combinations} combinations, each planned apart; expected at most ${MAX_GRID_POINTS}`);
  // Points are still numbered over the whole product (point directories, caches): keep it exact.
  if (gridSize(knobs) > Number.MAX_SAFE_INTEGER) throw new UserError(`--vary: the knobs span more than 2^53 configurations; expected fewer or shorter ranges`);
  return knobs;
}

export function gridSize(knobs: readonly Knob[]): number {
  return knobs.reduce((n, k) => n * k.values.length, 1);
}

/** Point k of the cartesian product (last knob fastest). */
export function pointAt(knobs: readonly Knob[], index: number): GridPoint {
  const values: KnobValue[] = new Array(knobs.length);
  let rest = index;
  for (let j = knobs.length - 1; j >= 0; j--) {
    const n = knobs[j].values.length;
    values[j] = knobs[j].values[rest % n];
    rest = Math.floor(rest / n);
  }
  return { index, values };
}

/** Index of the point with value indices `idx` (one per knob). */
export function indexOf(knobs: readonly Knob[], idx: readonly number[]): number {
  let k = 0;
  for (let j = 0; j < knobs.length; j++) k = k * knobs[j].values.length + idx[j];
  return k;
}

export function gridPoints(knobs: readonly Knob[]): GridPoint[] {
  const n = gridSize(knobs);
  return Array.from({ length: n }, (_, k) => pointAt(knobs, k));
}

/** `path=value` pairs of a point, for messages and tables. */
export function describePoint(knobs: readonly Knob[], values: readonly KnobValue[]): string {
  return knobs.map((k, j) => `${k.path}=${formatValue(values[j])}`).join(' ');
}

export function formatValue(v: KnobValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

type Obj = Record<string, unknown>;
const isContainer = (x: unknown): x is Obj => x !== null && typeof x === 'object';

export { setPath } from '../scenario/overrides.ts';
