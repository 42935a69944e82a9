import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
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

/** Loads a scenario file, applies --set overrides (a.b.c=value) and validates it. */
export function loadScenario(file: string, overrides: readonly string[] = []): LoadedScenario {
  const doc = readDocument(file);
  applyOverrides(doc, overrides);
  return { scenario: validateScenario(doc, file), file, dir: dirname(resolve(file)) };
}
