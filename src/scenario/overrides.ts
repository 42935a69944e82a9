import { UserError } from '../errors.ts';
import { closest } from '../util/did-you-mean.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { RESERVED_NAMES } from '../util/reserved-names.ts';
import { markOverridden, parseFlagValue } from './document.ts';

/**
 * An override: `path=value` as given to --set, or one that another flag carries, with the text
 * its messages quote (`--what-if pooling=faults.0.pooling=true`), so they name the flag the user typed.
 */
export type Override = string | { readonly text: string; readonly label: string };

/**
 * Applies `a.b.c=value` overrides in place. The value is read as YAML, so numbers, booleans,
 * lists and objects work (`--set 'next=[{to: db, p: 1}]'`); missing objects are created.
 * Numeric segments index lists. The schema validates the result afterwards.
 */
export function applyOverrides(doc: unknown, overrides: readonly Override[]): void {
  for (const override of overrides) {
    const o = typeof override === 'string' ? override : override.text;
    const eq = o.indexOf('=');
    const flag = typeof override === 'string' ? `--set ${excerpt(o)}` : excerpt(override.label);
    if (eq <= 0) throw new UserError(`${flag}: expected path=value, e.g. topology.stations.api.servers=12`);
    const path = o.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new UserError(`${flag}: empty segment in path "${excerpt(o.slice(0, eq))}"`);
    // a --set value the schema refuses is named by the scenario file and field, as ever; another
    // flag's (a --what-if's) by the flag, not the scenario file it would blame
    setPath(doc, o.slice(0, eq), parseFlagValue(o.slice(eq + 1), flag, o.slice(0, eq)), flag, typeof override !== 'string');
  }
}

type Obj = Record<string, unknown>;

/**
 * Sets `path` in doc, matching the longest existing key at each level, so keys that contain
 * dots (model names such as gpt-3.5-turbo) work: `fleet.models.gpt-3.5-turbo.gpus`. Missing
 * objects are created; numeric segments index lists.
 */
export function setPath(doc: unknown, path: string, value: unknown, flag: string, namedInMessages = false): void {
  // Only own keys are followed and reserved names refused: `constructor.prototype.x=1` would
  // otherwise walk into Object.prototype and change every object in the process.
  const reserved = path.split('.').find((p) => RESERVED_NAMES.has(p));
  if (reserved !== undefined) throw new UserError(`${flag}: "${reserved}" is not a scenario field`);
  let node = doc;
  let rest = path;
  const seen: string[] = [];
  for (;;) {
    if (node === null || typeof node !== 'object') throw new UserError(`${flag}: ${excerpt(seen.join('.'))} is ${quote(node)}, not an object or list`);
    const obj = node as Obj;
    const keys = Object.keys(obj)
      .filter((k) => rest === k || rest.startsWith(`${k}.`))
      .sort((x, y) => y.length - x.length);
    const key = keys[0] ?? rest.split('.')[0];
    if (Array.isArray(obj)) checkListIndex(obj, key, seen, flag);
    if (key === rest) {
      obj[key] = value;
      markOverridden(doc, [...seen, key], namedInMessages ? flag : undefined);
      return;
    }
    if (!Object.hasOwn(obj, key) || obj[key] === undefined) {
      // A new entry made field by field is most often a misspelt name (fleet.models.gtp-4.gpus).
      const near = closest(key, Object.keys(obj));
      if (near !== undefined) {
        const where = seen.length > 0 ? seen.join('.') : 'the scenario';
        throw new UserError(`${flag}: ${excerpt(where)} has no "${excerpt(key)}" (did you mean "${near}"?); to add a new one, set it whole: ${excerpt([...seen, key].join('.'))}={...}`);
      }
      obj[key] = {};
    }
    seen.push(key);
    node = obj[key];
    rest = rest.slice(key.length + 1);
  }
}

/**
 * A segment that indexes a list: an item of it, or the next one (appended). Any other index made
 * the list sparse: `next.99999999.p=1` gave a list of 100 million holes, walked for 4 s and
 * refused as an alias bomb (2026-12-07).
 */
function checkListIndex(list: readonly unknown[], key: string, seen: readonly string[], flag: string): void {
  if (/^(0|[1-9]\d{0,8})$/.test(key) && Number(key) <= list.length) return;
  const where = seen.length > 0 ? excerpt(seen.join('.')) : 'the scenario';
  throw new UserError(`${flag}: ${where} is a list of ${list.length} item${list.length === 1 ? '' : 's'}: expected an index from 0 to ${list.length} (${list.length} appends one), got "${excerpt(key)}"`);
}
