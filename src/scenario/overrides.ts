import { parse as parseYaml } from 'yaml';
import { UserError } from '../errors.ts';

/**
 * Applies `a.b.c=value` overrides in place. The value is read as YAML, so numbers, booleans,
 * lists and objects work (`--set 'next=[{to: db, p: 1}]'`); missing objects are created.
 * Numeric segments index lists. The schema validates the result afterwards.
 */
export function applyOverrides(doc: unknown, overrides: readonly string[]): void {
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${o}: expected path=value, e.g. topology.stations.api.servers=12`);
    const path = o.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new UserError(`--set ${o}: empty segment in path "${o.slice(0, eq)}"`);
    if (path.includes('__proto__')) throw new UserError(`--set ${o}: "__proto__" is not a scenario field`);
    let value: unknown;
    try {
      value = parseYaml(o.slice(eq + 1));
    } catch {
      value = o.slice(eq + 1);
    }
    let node = doc as Record<string, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i];
      let child = node[key];
      if (child === undefined) {
        child = {};
        node[key] = child;
      }
      if (child === null || typeof child !== 'object') {
        throw new UserError(`--set ${o}: ${path.slice(0, i + 1).join('.')} is ${JSON.stringify(child)}, not an object or list`);
      }
      node = child as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
}
