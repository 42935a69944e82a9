import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { UserError } from '../errors.ts';
import { ScenarioSchema, type Scenario } from './schema.ts';
import { describeIssue } from './format-issue.ts';
import { applyOverrides } from './overrides.ts';
import { checkReferences } from './references.ts';

export interface LoadedScenario {
  scenario: Scenario;
  /** The file as given on the command line (used in messages). */
  file: string;
  /** Directory of the file: relative paths inside it resolve from here. */
  dir: string;
}

/** Reads YAML or JSON; syntax errors name the file, line and column. */
export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new UserError(`${file}: invalid JSON: ${(e as Error).message}`);
    }
  }
  try {
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? `:${pos.line}:${pos.col}` : '';
      throw new UserError(`${file}${where}: invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    throw e;
  }
}

/** Validates a parsed document against the schema and the cross-references. */
export function validateScenario(doc: unknown, file: string): Scenario {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UserError(`${file}: expected a mapping of scenario fields at the top level`);
  }
  const parsed = ScenarioSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    // An unknown key (often a misspelt one) explains the "missing" errors that come with it: report it first.
    throw new UserError(`${file}: ${describeIssue(issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0])}${more}`);
  }
  const problem = checkReferences(parsed.data);
  if (problem) throw new UserError(`${file}: ${problem}`);
  return parsed.data;
}

/** Objects merge key by key; anything else (lists included) in `over` replaces `base`. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (base === null || over === null || typeof base !== 'object' || typeof over !== 'object' || Array.isArray(base) || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

/**
 * Reads a scenario document, resolving `extends: other.yaml` (relative to the file): the file's
 * fields are merged over the base's, so an incident scenario states only what differs.
 */
export function readScenarioDocument(file: string, seen: string[] = []): unknown {
  const doc = readDocument(file);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('extends' in doc)) return doc;
  const { extends: base, ...rest } = doc as Record<string, unknown>;
  if (typeof base !== 'string' || base === '') throw new UserError(`${file}: extends: expected the path of a base scenario, got ${JSON.stringify(base)}`);
  const basePath = resolve(dirname(file), base);
  if (seen.includes(basePath)) throw new UserError(`${file}: extends: a cycle (${[...seen, basePath].join(' -> ')})`);
  const baseDoc = readScenarioDocument(basePath, [...seen, resolve(file)]);
  rebasePaths(baseDoc, dirname(basePath), dirname(file));
  return deepMerge(baseDoc, rest);
}

/** File paths inside a base scenario are relative to the base: make them relative to the extending file. */
function rebasePaths(doc: unknown, fromDir: string, toDir: string): void {
  const fix = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? relative(toDir, resolve(fromDir, p)) : p);
  const d = doc as { workload?: { arrivals?: { file?: string } }; fleet?: { models?: Record<string, { model?: string; tokens?: { trace?: string } }> } };
  if (d?.workload?.arrivals?.file) d.workload.arrivals.file = fix(d.workload.arrivals.file) as string;
  for (const m of Object.values(d?.fleet?.models ?? {})) {
    if (m?.tokens?.trace) m.tokens.trace = fix(m.tokens.trace) as string;
    if (typeof m?.model === 'string' && m.model.endsWith('.json')) m.model = fix(m.model) as string;
  }
}

/** Loads a scenario file, applies --set overrides (a.b.c=value) and validates it. */
export function loadScenario(file: string, overrides: readonly string[] = []): LoadedScenario {
  const doc = readScenarioDocument(file);
  applyOverrides(doc, overrides);
  return { scenario: validateScenario(doc, file), file, dir: dirname(resolve(file)) };
}
