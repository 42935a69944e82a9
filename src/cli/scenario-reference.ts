import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/write-atomic.ts';
import { scenarioJsonSchema } from './schema.ts';

/**
 * docs/scenario-reference.md, generated from the zod schema (through its JSON Schema, the one
 * `fleetsim schema` prints): every field with its type, bounds and default. Run
 * `npm run docs:scenario` after changing the schema; test/docs/scenario-reference.test.ts fails
 * while the file is stale.
 */

interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  items?: Node | false;
  prefixItems?: Node[];
  oneOf?: Node[];
  anyOf?: Node[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

interface Row {
  path: string;
  type: string;
  need: string;
}

export const REFERENCE_FILE = fileURLToPath(new URL('../../docs/scenario-reference.md', import.meta.url));

const code = (v: unknown) => `\`${JSON.stringify(v)}\``;
const variants = (n: Node) => n.oneOf ?? n.anyOf;

/** The const property that tells the variants of a union apart (`kind`, `dist`, `preset`), if any. */
function discriminator(options: Node[]): string | undefined {
  const first = options[0]?.properties ?? {};
  return Object.keys(first).find((k) => options.every((o) => o.properties?.[k]?.const !== undefined));
}

function bounds(n: Node): string {
  const parts: string[] = [];
  if (n.exclusiveMinimum !== undefined) parts.push(`> ${n.exclusiveMinimum}`);
  if (n.minimum !== undefined) parts.push(`>= ${n.minimum}`);
  if (n.maximum !== undefined) parts.push(`<= ${n.maximum}`);
  if (n.maxLength !== undefined) parts.push(`at most ${n.maxLength} characters`);
  if (n.minItems !== undefined && n.items !== false) parts.push(`at least ${n.minItems} items`);
  return parts.length ? ` ${parts.join(', ')}` : '';
}

/** A one-line type: `number > 0`, `"fail" | "retry"`, `list of object`, `map of object`. */
function typeOf(n: Node): string {
  if (n.const !== undefined) return code(n.const);
  if (n.enum) return n.enum.map(code).join(' \\| ');
  const options = variants(n);
  if (options) {
    const key = discriminator(options);
    return key ? `one of ${options.length} kinds by \`${key}\`` : options.map(typeOf).join(' or ');
  }
  if (n.prefixItems) return `[${n.prefixItems.map(typeOf).join(', ')}]`;
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'anything'}${bounds(n)}`;
  if (n.type === 'object' && !n.properties && typeof n.additionalProperties === 'object') return `map of ${typeOf(n.additionalProperties)}`;
  const type = Array.isArray(n.type) ? n.type.join(' or ') : (n.type ?? 'any');
  return `${type}${bounds(n)}`;
}

/** Appends the rows of `n` and its fields; a structure seen before refers to its first place. */
function walk(n: Node, path: string, need: string, rows: Row[], seen: Map<string, string>): void {
  const key = JSON.stringify(n);
  const nested = Boolean(n.properties || variants(n) || n.items || typeof n.additionalProperties === 'object');
  const first = seen.get(key);
  if (nested && first !== undefined && first !== path) {
    rows.push({ path, type: `as \`${first}\``, need });
    return;
  }
  if (nested) seen.set(key, path);
  if (path !== '') rows.push({ path, type: typeOf(n), need });
  const options = variants(n);
  if (options) {
    const tag = discriminator(options);
    options.forEach((o, i) => {
      if (!tag && !o.properties && !o.items) return;
      const label = tag ? `${tag}: ${String(o.properties![tag].const)}` : `form ${i + 1}`;
      walk({ ...o, default: undefined }, `${path} (${label})`, '', rows, seen);
    });
    return;
  }
  for (const [name, child] of Object.entries(n.properties ?? {})) {
    const childNeed = child.default !== undefined ? `default ${code(child.default)}` : n.required?.includes(name) ? 'required' : '';
    walk(child, path === '' ? name : `${path}.${name}`, childNeed, rows, seen);
  }
  if (n.type === 'array' && n.items) walk(n.items, `${path}[]`, '', rows, seen);
  if (typeof n.additionalProperties === 'object' && !n.properties) walk(n.additionalProperties, `${path}.<name>`, '', rows, seen);
}

/** The reference page, as Markdown. */
export function scenarioReference(): string {
  const rows: Row[] = [];
  walk(scenarioJsonSchema() as Node, '', '', rows, new Map());
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\\\\\|/g, '\\|');
  const lines = [
    '# Scenario reference',
    '',
    'Generated from the zod schema (`src/scenario/schema.ts`) by `npm run docs:scenario`: do not',
    'edit by hand. Every field of a scenario file, its type and bounds, and its default or whether',
    'it is required; a union lists its kinds, each as its own rows. What the fields mean:',
    '[scenarios.md](scenarios.md), [faults.md](faults.md), [control-plane.md](control-plane.md).',
    'Unknown fields are errors. `fleetsim schema` prints the same schema as JSON Schema.',
    '',
    '| field | type | default |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${r.need} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileAtomic(REFERENCE_FILE, scenarioReference(), [], 'the scenario reference');
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
