import { boundCommand } from '../util/wall-budget.ts';
import { realpathSync } from 'node:fs';
import type { z } from 'zod';
import { closest, didYouMean } from '../util/did-you-mean.ts';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { ScenarioSchema, type Scenario } from './schema.ts';
import { describeIssue } from '../util/format-issue.ts';
import { applyOverrides, type Override } from './overrides.ts';
import { checkReferences } from './references.ts';
import { pairHardware } from './hardware.ts';
import { checkDocument, inheritOrigins, locationOf, namingFlag, readDocument } from './document.ts';
import { allowedPaths, resolveInScope, scopeOf, type PathScope } from '../util/paths.ts';

export { readDocument } from './document.ts';

export interface LoadedScenario {
  scenario: Scenario;
  /** The file as given on the command line (used in messages). */
  file: string;
  /** Directory of the file: relative paths inside it resolve from here. */
  dir: string;
  /** Directories files named in the scenario may come from (see paths.ts); default: `dir` alone. */
  roots?: readonly string[];
  /** The files its `extends:` chain read (real paths): inputs, which no output may replace. */
  bases?: readonly string[];
}

const isMapping = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * Validates a parsed document against the schema and the cross-references. A schema error names
 * the line and column of the value when the document was read from a file (and not set by a flag).
 */
export function validateScenario(doc: unknown, file: string): Scenario {
  if (!isMapping(doc)) {
    throw new UserError(`${file}: expected a mapping of scenario fields at the top level`);
  }
  checkDocument(doc, file); // depth, size and reserved names, for a document that was not read by readDocument
  pairHardware(doc);
  const parsed = ScenarioSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) throw new UserError(problemLines(doc, file, parsed.error.issues).join('\n'));
  const problem = checkReferences(parsed.data);
  if (problem) throw new UserError(`${problemFlag(doc, problem) ?? file}: ${problem}`);
  boundCommand(parsed.data.limits.max_wall_s);
  return parsed.data;
}

/**
 * The flag that set the field a cross-reference problem names first, if a flag named in messages
 * did: `--what-if a=warmup_s=14400` was refused as the scenario file's "warmup_s: expected less
 * than duration_s".
 */
function problemFlag(doc: unknown, problem: string): string | undefined {
  const path = /^([\w.[\]-]+):/.exec(problem)?.[1];
  return path === undefined ? undefined : namingFlag(doc, path.replace(/\[(\d+)\]/g, '.$1').split('.'));
}

/** Problems listed at most (each one line); the rest are counted. */
export const MAX_PROBLEMS = 20;

type Issue = z.core.$ZodIssue;

/**
 * zod reports every unknown key of one object in one issue, and strict() (util/zod-helpers.ts)
 * words its message for the first: one issue per key, each with its own message and place.
 */
function oneIssuePerKey(issue: Issue): Issue[] {
  if (issue.code !== 'unrecognized_keys' || issue.keys.length <= 1) return [issue];
  const listed = /; expected one of: (.*)$/.exec(issue.message);
  const known = listed ? listed[1].split(', ') : [];
  return issue.keys.map((key) => ({
    ...issue,
    keys: [key],
    message: listed ? `unknown key ${quote(key, 40)}${didYouMean(key, known)}; expected one of: ${listed[1]}` : `unknown key ${quote(key, 40)}`,
  }));
}

/**
 * One line per problem of a document, unknown keys first: a misspelt key explains the "missing"
 * key beside it, which is left out when the unknown key is a near miss of it (did-you-mean).
 */
function problemLines(doc: unknown, file: string, all: readonly Issue[]): string[] {
  const unknown = all.filter((i) => i.code === 'unrecognized_keys').flatMap(oneIssuePerKey);
  const samePath = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.length === b.length && a.every((k, n) => k === b[n]);
  const explained = (i: Issue) =>
    i.code === 'invalid_type' &&
    (i as { input?: unknown }).input === undefined &&
    unknown.some((u) => u.code === 'unrecognized_keys' && samePath(u.path, i.path.slice(0, -1)) && u.keys.some((k) => closest(k, [String(i.path[i.path.length - 1])]) !== undefined));
  const issues = [...unknown, ...all.filter((i) => i.code !== 'unrecognized_keys' && !explained(i))];
  const lines = issues.slice(0, MAX_PROBLEMS).map((i) => {
    const unknownKey = i.code === 'unrecognized_keys';
    const path = unknownKey ? [...i.path, i.keys[0]] : i.path;
    return `${locationOf(doc, path, unknownKey) ?? namingFlag(doc, path) ?? file}: ${describeIssue(i)}`;
  });
  if (issues.length > MAX_PROBLEMS) lines.push(`${file}: and ${issues.length - MAX_PROBLEMS} more problems`);
  return lines;
}

/** Objects merge key by key; anything else (lists included) in `over` replaces `base`. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = Object.hasOwn(out, k) ? deepMerge(out[k], v) : v;
  return out;
}

function realOrResolved(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/**
 * Reads a scenario document, resolving `extends: other.yaml` (relative to the file, inside the
 * scope: see paths.ts): the file's fields are merged over the base's, so an incident scenario
 * states only what differs. The base must itself be a valid scenario.
 */
export function readScenarioDocument(file: string, scope: PathScope = scopeOf(file), bases: string[] = []): unknown {
  return readWithBase({ label: file, lexical: file, read: file }, scope, [], bases);
}

/** A scenario file: how messages name it, its path as written (relative paths start there), where it is read. */
interface Source {
  label: string;
  lexical: string;
  read: string;
  /** for a base: the file and field that name it (`scenario.yaml: extends`), for messages about reading it */
  via?: string;
}

/** The document of `src`; a base that cannot be read (missing, a directory) is refused naming the scenario and field that point to it. */
function readSource(src: Source): unknown {
  try {
    return readDocument(src.read, src.label);
  } catch (e) {
    const unread = e instanceof UserError && (e.message.startsWith(`${src.label}: expected a regular file`) || e.message.startsWith(`${src.label}: cannot read the file`));
    if (unread && src.via !== undefined) throw new UserError(`${src.via}: ${e.message}`);
    throw e;
  }
}

function readWithBase(src: Source, scope: PathScope, seen: string[], bases: string[]): unknown {
  const { label: file } = src;
  const doc = readSource(src);
  if (!isMapping(doc) || !Object.hasOwn(doc, 'extends')) return doc;
  const { extends: base, ...rest } = doc;
  inheritOrigins(rest, doc);
  if (typeof base !== 'string' || base === '') throw new UserError(`${file}: extends: expected the path of a base scenario, got ${quote(base)}`);
  const self = realOrResolved(src.read);
  const baseRead = resolveInScope(scope, base, `${file}: extends`, dirname(resolve(src.lexical)));
  if (seen.includes(baseRead) || baseRead === self) throw new UserError(`${file}: extends: a cycle (${[...seen, self, baseRead].map((p) => quote(p)).join(' -> ')})`);
  // The base's path comes from the scenario: messages show an excerpt of it.
  const baseSrc: Source = {
    label: isAbsolute(base) ? excerpt(base) : join(dirname(file), excerpt(base)),
    lexical: isAbsolute(base) ? base : join(dirname(src.lexical), base),
    read: baseRead,
    via: `${file}: extends`,
  };
  bases.push(baseRead);
  const baseDoc = readWithBase(baseSrc, scope, [...seen, self], bases);
  if (!isMapping(baseDoc)) {
    throw new UserError(`${file}: extends: ${quote(base)}: expected a scenario (a mapping of scenario fields), got ${baseDoc === null ? 'an empty document' : quote(baseDoc)}`);
  }
  try {
    validateScenario(baseDoc, baseSrc.label);
  } catch (e) {
    // Each problem of the base on its own line, each saying where it comes from.
    if (e instanceof UserError) throw new UserError(e.message.split('\n').map((line) => `${file}: extends: ${quote(base)} is not a valid scenario: ${line}`).join('\n'));
    throw e;
  }
  rebasePaths(baseDoc, dirname(resolve(baseSrc.lexical)), dirname(resolve(src.lexical)));
  const merged = deepMerge(baseDoc, rest);
  inheritOrigins(merged, rest, baseDoc);
  return merged;
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

/**
 * Loads a scenario file, applies --set overrides (a.b.c=value) and validates it. Files the
 * scenario names must lie in its directory or in `allow` (default: the --allow-path directories).
 */
export function loadScenario(file: string, overrides: readonly Override[] = [], allow: readonly string[] = allowedPaths()): LoadedScenario {
  const scope = scopeOf(file, allow);
  const bases: string[] = [];
  const doc = readScenarioDocument(file, scope, bases);
  applyOverrides(doc, overrides);
  return { scenario: validateScenario(doc, file), file, dir: scope.dir, roots: scope.roots, bases };
}
