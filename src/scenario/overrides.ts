import { UserError } from '../errors.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { RESERVED_NAMES } from '../util/reserved-names.ts';
import { markOverridden, parseFlagValue } from './document.ts';

/**
 * Applies `a.b.c=value` overrides in place. The value is read as YAML, so numbers, booleans,
 * lists and objects work (`--set 'next=[{to: db, p: 1}]'`); missing objects are created.
 * Numeric segments index lists. The schema validates the result afterwards.
 */
export function applyOverrides(doc: unknown, overrides: readonly string[]): void {
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${excerpt(o)}: expected path=value, e.g. topology.stations.api.servers=12`);
    const flag = `--set ${excerpt(o)}`;
    const path = o.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new UserError(`${flag}: empty segment in path "${excerpt(o.slice(0, eq))}"`);
    setPath(doc, o.slice(0, eq), parseFlagValue(o.slice(eq + 1), flag), flag);
  }
}

type Obj = Record<string, unknown>;

/**
 * Sets `path` in doc, matching the longest existing key at each level, so keys that contain
 * dots (model names such as gpt-3.5-turbo) work: `fleet.models.gpt-3.5-turbo.gpus`. Missing
 * objects are created; numeric segments index lists.
 */
export function setPath(doc: unknown, path: string, value: unknown, flag: string): void {
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
    if (key === rest) {
      obj[key] = value;
      markOverridden(doc, [...seen, key]);
      return;
    }
    if (!Object.hasOwn(obj, key) || obj[key] === undefined) obj[key] = {};
    seen.push(key);
    node = obj[key];
    rest = rest.slice(key.length + 1);
  }
}
