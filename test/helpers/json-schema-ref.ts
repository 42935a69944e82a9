import { checkJsonSchema } from './json-schema.ts';

/**
 * Local `$ref`s ("#/$defs/name") for the small checker in json-schema.ts, which has none: the
 * schema is dereferenced (each $ref replaced by its definition, merged with sibling keywords)
 * before checking. Recursive definitions are refused (summary.schema.json has none).
 */
type Schema = boolean | { [k: string]: unknown };

export function deref(schema: Schema, root: Schema = schema, seen: string[] = []): Schema {
  if (typeof schema === 'boolean') return schema;
  let out: { [k: string]: unknown } = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$defs' || k === '$ref') continue;
    if (Array.isArray(v)) out[k] = v.map((x) => (x !== null && typeof x === 'object' ? deref(x as Schema, root, seen) : x));
    else if (v !== null && typeof v === 'object' && k !== 'const' && k !== 'default') {
      // properties / $defs-like maps hold schemas by name; every other object is a schema.
      out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, deref(pv as Schema, root, seen)])) : deref(v as Schema, root, seen);
    } else out[k] = v;
  }
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(ref);
    if (!m) throw new Error(`json-schema-ref: unsupported $ref ${ref}`);
    if (seen.includes(m[1])) throw new Error(`json-schema-ref: recursive $ref ${ref}`);
    const target = ((root as { $defs?: Record<string, Schema> }).$defs ?? {})[m[1]];
    if (target === undefined) throw new Error(`json-schema-ref: no definition for ${ref}`);
    const resolved = deref(target, root, [...seen, m[1]]);
    out = typeof resolved === 'boolean' ? { allOf: [resolved], ...out } : { ...resolved, ...out };
  }
  return out;
}

/** Problems found validating `value` against a schema with local $refs ([] = valid). */
export function checkJsonSchemaWithRefs(schema: Schema, value: unknown): string[] {
  return checkJsonSchema(deref(schema), value);
}
