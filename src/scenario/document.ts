import { extname } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, YAMLError, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { RESERVED_NAMES } from '../util/reserved-names.ts';
import { formatPath } from '../util/format-issue.ts';
import { readInputText } from '../util/read-input.ts';
import { firstUnderflowingNumber, jsonPathAt, parseJsonInput } from '../util/json-keys.ts';
import { NOT_ROUNDING_TO_ZERO, writesNonzeroDigit } from '../util/decimal.ts';

/**
 * Reading YAML and JSON input (scenarios, budgets) that may be hostile: every failure is a
 * one-line UserError naming the file and, where there is one, the line and column.
 *
 * - Nesting deeper than MAX_DEPTH is refused: the schema is at most a dozen levels deep, and
 *   deeper input would overflow the stack of whatever walks it (a JSON value 100,000 deep).
 * - Aliases are resolved by the parser without its own limit (yaml's maxAliasCount refuses a
 *   legitimate chain of 150 nested anchors), and the document is refused when it expands to
 *   more than MAX_VALUES values: that is what an alias bomb does, and what every later walk
 *   (validation, merging, hashing) would pay for. Cyclic aliases are refused too.
 * - Mapping keys that are JavaScript's reserved names (`__proto__`, `constructor`, `prototype`)
 *   are refused: in an object they change or shadow its prototype (a station named `__proto__`
 *   used to vanish without a word).
 */
export const MAX_DEPTH = 64;
export const MAX_VALUES = 1_000_000;

/** A position in a file, for messages: "file:line:col"; of the key rather than the value with `atKey`. */
export type Locate = (path: readonly PropertyKey[], atKey?: boolean) => { line: number; col: number; exact: boolean } | undefined;

interface Origin {
  file: string;
  locate: Locate;
}

/** A path set by a flag; `flag` when its messages name the flag rather than the scenario file (`--what-if`). */
interface Overridden {
  keys: string[];
  flag?: string;
}

/** Where the values of a parsed document came from, by root object; paths set by flags are left out. */
const origins = new WeakMap<object, { sources: Origin[]; overridden: Overridden[] }>();

/** "file:line:col" of the value (or key) at `path` in `doc`, or of its closest written ancestor, if known. */
export function locationOf(doc: unknown, path: readonly PropertyKey[], atKey = false): string | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const o = origins.get(doc);
  if (!o) return undefined;
  const keys = path.map(String);
  if (o.overridden.some((p) => p.keys.every((k, i) => keys[i] === k))) return undefined;
  let fallback: string | undefined;
  for (const s of o.sources) {
    const at = s.locate(path, atKey);
    if (at?.exact) return `${s.file}:${at.line}:${at.col}`;
    if (at && fallback === undefined) fallback = `${s.file}:${at.line}:${at.col}`;
  }
  return fallback;
}

/** Records that `merged` holds the values of `sources` (first wins), e.g. a scenario over its `extends:` base. */
export function inheritOrigins(merged: unknown, ...sources: unknown[]): void {
  if (merged === null || typeof merged !== 'object') return;
  const all = sources.flatMap((s) => (s !== null && typeof s === 'object' ? (origins.get(s)?.sources ?? []) : []));
  const overridden = sources.flatMap((s) => (s !== null && typeof s === 'object' ? (origins.get(s)?.overridden ?? []) : []));
  origins.set(merged, { sources: all, overridden });
}

/**
 * Records that the value at `keys` was set by a flag (`--set`): messages about it name no line,
 * and with `flag` (`--what-if name=path=value`) they name the flag instead of the scenario file.
 */
export function markOverridden(doc: unknown, keys: readonly string[], flag?: string): void {
  if (doc === null || typeof doc !== 'object') return;
  const o = origins.get(doc);
  if (o) o.overridden.push({ keys: [...keys], flag });
}

/** The last flag that set the value at `keys` (or a container of it). */
function overriddenBy(doc: unknown, keys: readonly string[]): Overridden | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  return origins.get(doc)?.overridden.findLast((p) => p.keys.length <= keys.length && p.keys.every((k, i) => keys[i] === k));
}

/** Was the value at `keys` (or a container of it) set by a flag (`--set`, `--vary`)? */
export function isOverridden(doc: unknown, keys: readonly string[]): boolean {
  return overriddenBy(doc, keys) !== undefined;
}

/** The flag a message about the value at `keys` names instead of the scenario file, if one set it (`--what-if`). */
export function namingFlag(doc: unknown, keys: readonly PropertyKey[]): string | undefined {
  return overriddenBy(doc, keys.map(String))?.flag;
}

function register(value: unknown, origin: Origin): void {
  if (value !== null && typeof value === 'object') origins.set(value, { sources: [origin], overridden: [] });
}

/** Reads a YAML or JSON file (by extension); see the file header for what is refused. Messages name `label`. */
export function readDocument(path: string, label: string = path): unknown {
  const text = readInputText(path, label, (code) => `cannot read the file (${code === 'ENOENT' ? 'no such file' : code})`);
  return parseDocumentText(text, label, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
}

/**
 * Commas and line breaks in `text`: past the first, every value of a document needs one (an item
 * of a flow list or mapping, a line of a block one), aliases aside (counted after parsing).
 */
export function separatorCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 10) n++;
  }
  return n;
}

/** Parses a document's text (see the file header); messages name `file`, with line and column. */
export function parseDocumentText(text: string, file: string, format: 'json' | 'yaml'): unknown {
  // Counted before parsing: a list of 30 million items in a 60 MB scenario ran the YAML parser out
  // of memory (4.7 GB, a native trace) before the count of values below could refuse it.
  const separators = separatorCount(text);
  if (separators > MAX_VALUES) {
    throw new UserError(`${file}: expected a document of at most ${MAX_VALUES.toLocaleString('en-US')} values, got ${separators.toLocaleString('en-US')} commas and line breaks (a scenario or budgets file is a few hundred lines)`);
  }
  if (format === 'json') {
    const value = parseJsonInput(text, file, 'invalid JSON');
    // Positions are found only when a message needs one: parse the text again as YAML (JSON is YAML).
    let yaml: { doc: Document; lines: LineCounter } | null | undefined;
    const locate: Locate = (path, atKey) => {
      if (yaml === undefined) yaml = tryParseYaml(text);
      return yaml ? locateInYaml(yaml.doc, yaml.lines, path, atKey) : undefined;
    };
    checkShape(value, placeIn(file, locate));
    refuseRoundedToZeroInJson(text, file);
    register(value, { file, locate });
    return value;
  }
  const { doc, lines } = parseYaml(text, file);
  const locate: Locate = (path, atKey) => locateInYaml(doc, lines, path, atKey);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    // An alias before its anchor, or a stack overflow on a pathological document.
    throw new UserError(`${file}: invalid YAML: ${excerpt((e as Error).message)}`);
  }
  checkShape(value, placeIn(file, locate));
  refuseRoundedToZero(doc, placeIn(file, locate));
  register(value, { file, locate });
  return value;
}

/**
 * JSON.parse gives no source text, so the text is scanned for a number that underflows, and its
 * field found by a second scan to it: both linear. (Any `e-100` in the text, even in a string, sent
 * a 48 MB scenario through the YAML parser to find one: 2.8 s and 250 MB became 12 s and 1.2 GB.)
 */
function refuseRoundedToZeroInJson(text: string, file: string): void {
  const offset = firstUnderflowingNumber(text);
  if (offset === undefined) return;
  const { path, line, col } = jsonPathAt(text, offset);
  const written = /^[-+.\deE]+/.exec(text.slice(offset, offset + 1000))?.[0] ?? '';
  throw new UserError(`${file}:${line}:${col}: ${formatPath(path)}: expected ${NOT_ROUNDING_TO_ZERO}, got ${excerpt(written)}`);
}

/**
 * Refuses a number written other than 0 that reads as 0 (1e-400: below the smallest double, about
 * 5e-324): a budget's `value: 1e-400` was read as 0 without a word, and so was any other field.
 * Any spelling counts (YAML 1.1's `1_0.0e-400` too): a scalar read as 0 whose digits are not all 0.
 * Walks the document as written (aliases once), after checkShape has bounded its depth. `at`: the
 * path a flag's value is set at (`--set a.b=1e-400` names a.b), so messages name the field.
 */
function refuseRoundedToZero(doc: Document, place: (path: readonly PropertyKey[], atKey?: boolean) => string, at: readonly PropertyKey[] = []): void {
  const path: PropertyKey[] = [];
  const walk = (node: unknown): void => {
    if (isScalar(node)) {
      if (readsAsZero(node)) {
        throw new UserError(`${place(path)}: ${formatPath([...at, ...path])}: expected ${NOT_ROUNDING_TO_ZERO}, got ${excerpt(node.source)}`);
      }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        // a key written 1e-400 read as the name "0" (a station, a model): quoted, it keeps its text
        if (isScalar(pair.key) && readsAsZero(pair.key)) {
          const written = excerpt(pair.key.source);
          throw new UserError(`${place([...path, '0'], true)}: ${formatPath([...at, ...path])}: expected a key that does not read as a number rounding to 0 (quote it to keep it a name: "${written}"), got ${written}`);
        }
        path.push(isScalar(pair.key) ? String(pair.key.value) : '?');
        walk(pair.value);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
    }
  };
  walk(doc.contents);
}

/** A scalar written with a nonzero digit that reads as 0: it underflowed (see refuseRoundedToZero). */
function readsAsZero(node: Scalar): node is Scalar & { source: string } {
  return node.value === 0 && typeof node.source === 'string' && writesNonzeroDigit(node.source);
}

/**
 * A flag's value read as YAML (`--set a=[1, 2]`, `--vary a=1,2`), or the text itself when it is
 * not valid YAML (`--set 'description=a: b: c'`). The same limits as a file: `flag` names it,
 * and `at`, the dotted path the value is set at, is named as its field.
 */
export function parseFlagValue(text: string, flag: string, at?: string): unknown {
  let parsed: { doc: Document; lines: LineCounter };
  try {
    parsed = parseYaml(text, flag);
  } catch {
    return text;
  }
  let value: unknown;
  try {
    value = parsed.doc.toJS({ maxAliasCount: -1 });
  } catch {
    return text;
  }
  checkShape(value, () => flag);
  // numeric segments index lists: next.0.p is shown next[0].p, as the schema's messages show it
  const atPath = at === undefined ? [] : at.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  refuseRoundedToZero(parsed.doc, () => flag, atPath);
  return value;
}

function parseYaml(text: string, file: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  let doc: Document;
  try {
    // logLevel 'error': warnings are refused below instead of going to stderr as a second line.
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lines, logLevel: 'error' });
  } catch (e) {
    // The parser is recursive: a pathological document overflows its stack.
    const why = e instanceof RangeError ? `nested too deeply to read (at most ${MAX_DEPTH} levels)` : excerpt((e as Error).message);
    throw new UserError(`${file}: invalid YAML: ${why}`);
  }
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw yamlError(problem, file);
  const version = doc.directives?.yaml.version ?? '1.2';
  if (version !== '1.2') {
    // 1.1 reads yes/no/on/off as booleans, 0777 as octal and 1:30 as 90, and `1_0.0e-400` as a float:
    // every check and message here is written for 1.2 (other versions are refused above, as warnings)
    const { line, col } = lines.linePos(Math.max(0, text.search(/^%YAML\b/m)));
    throw new UserError(`${file}:${line}:${col}: %YAML: expected YAML 1.2 (1.1 reads yes and no as booleans, 0777 and 1:30 as numbers; remove the directive), got %YAML ${version}`);
  }
  return { doc, lines };
}

function yamlError(e: YAMLError | Error, file: string): UserError {
  const pos = e instanceof YAMLError ? e.linePos?.[0] : undefined;
  const where = pos ? `:${pos.line}:${pos.col}` : '';
  const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  // the parser records its own stack overflow as an error of the document: say what it means
  if (/Maximum call stack size exceeded/.test(message)) return new UserError(`${file}${where}: invalid YAML: nested too deeply to read (at most ${MAX_DEPTH} levels)`);
  return new UserError(`${file}${where}: invalid YAML: ${excerpt(message, 160)}`);
}

function tryParseYaml(text: string): { doc: Document; lines: LineCounter } | null {
  try {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, logLevel: 'silent' });
    return doc.errors.length === 0 ? { doc, lines } : null;
  } catch {
    return null;
  }
}

/** The position of the node at `path`, or of its deepest ancestor in the file (exact: false). */
function locateInYaml(doc: Document, lines: LineCounter, path: readonly PropertyKey[], atKey = false): ReturnType<Locate> {
  let node: unknown = doc.contents;
  let key: unknown;
  let found = 0;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    key = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => p.key !== null && typeof p.key === 'object' && 'value' in p.key && String((p.key as { value: unknown }).value) === String(seg));
      next = pair?.value;
      key = pair?.key;
    } else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    if (next === undefined || next === null) break;
    node = next;
    found++;
  }
  if (atKey && found === path.length && key) node = key;
  const range = (node as YamlNode | null)?.range;
  if (!range) return undefined;
  const { line, col } = lines.linePos(range[0]);
  return { line, col, exact: found === path.length };
}

/**
 * The same limits for a document built in memory (a program's, or a copy of a read one): zod's
 * records skip a `__proto__` key without a word, so the schema alone cannot refuse it.
 */
export function checkDocument(value: unknown, file: string): void {
  checkShape(value, (path, atKey) => locationOf(value, path, atKey) ?? file);
}

/** "file:line:col" (or "file") of a path, by a Locate of that file. */
const placeIn = (file: string, locate: Locate) => (path: readonly PropertyKey[], atKey?: boolean) => {
  const at = locate(path, atKey);
  return at ? `${file}:${at.line}:${at.col}` : file;
};

/**
 * Refuses cycles, nesting deeper than MAX_DEPTH, more than MAX_VALUES values once aliases are
 * expanded, and reserved keys. Walks each shared (aliased) value once: its size and height are
 * remembered, so the check costs the size of the document as written, not as expanded.
 */
function checkShape(root: unknown, place: (path: readonly PropertyKey[], atKey?: boolean) => string): void {
  if (root === null || typeof root !== 'object') return;
  const fail = (path: PropertyKey[], why: string, atKey = false): never => {
    throw new UserError(`${place(path, atKey)}: ${formatPath(path)}: ${why}`);
  };
  interface Frame { node: object; keys: readonly PropertyKey[]; i: number; size: number; height: number; key: PropertyKey | undefined }
  const memo = new Map<object, { size: number; height: number }>();
  const open = new Set<object>();
  const frameOf = (node: object, key: PropertyKey | undefined): Frame => ({ node, keys: Array.isArray(node) ? [] : Object.keys(node), i: 0, size: 1, height: 0, key });
  const stack: Frame[] = [frameOf(root, undefined)];
  open.add(root);
  const pathOf = () => stack.slice(1).map((f) => f.key!);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const n = Array.isArray(top.node) ? top.node.length : top.keys.length;
    if (top.i < n) {
      const key = Array.isArray(top.node) ? top.i : top.keys[top.i];
      top.i++;
      if (typeof key === 'string' && RESERVED_NAMES.has(key)) fail([...pathOf(), key], `"${key}" is reserved (a JavaScript object's own machinery), not a valid name or field`, true);
      const child = (top.node as Record<PropertyKey, unknown>)[key];
      if (child === null || typeof child !== 'object') {
        top.size++;
        continue;
      }
      if (open.has(child)) fail([...pathOf(), key], 'an alias refers to a value that contains it (a cycle)');
      const known = memo.get(child);
      if (known) {
        top.size += known.size;
        top.height = Math.max(top.height, known.height + 1);
        if (stack.length + known.height >= MAX_DEPTH) fail([...pathOf(), key], `nested deeper than ${MAX_DEPTH} levels`);
      } else {
        if (stack.length >= MAX_DEPTH) fail([...pathOf(), key], `nested deeper than ${MAX_DEPTH} levels`);
        stack.push(frameOf(child, key));
        open.add(child);
      }
    } else {
      stack.pop();
      open.delete(top.node);
      memo.set(top.node, { size: top.size, height: top.height });
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.size += top.size;
        parent.height = Math.max(parent.height, top.height + 1);
      }
    }
    if (top.size > MAX_VALUES) fail(pathOf(), `expands to more than ${MAX_VALUES.toLocaleString('en-US')} values (aliases repeating aliases?)`);
  }
}
