/**
 * A small JSON Schema (2020-12) checker covering the keywords zod's toJSONSchema emits for the
 * scenario schema: type, const, enum, properties, required, additionalProperties, propertyNames,
 * items, prefixItems, minItems, maxItems, oneOf, anyOf, allOf, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, minLength. Unknown keywords are ignored (as validators do
 * for annotations such as default and description). Returns the problems found ([] = valid).
 */
type Schema = boolean | { [k: string]: unknown };

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      throw new Error(`json-schema helper: unsupported type ${t}`);
  }
}

export function checkJsonSchema(schema: Schema, value: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const s = schema;
  const out: string[] = [];
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeOk(t, value))) return [`${path}: expected type ${types.join('|')}, got ${JSON.stringify(value)}`];
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) out.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) out.push(`${path}: not in enum`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) out.push(`${path}: below minimum ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) out.push(`${path}: above maximum ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) out.push(`${path}: not > ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) out.push(`${path}: not < ${s.exclusiveMaximum}`);
  }
  if (typeof value === 'string' && typeof s.minLength === 'number' && value.length < s.minLength) out.push(`${path}: too short`);
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) out.push(`${path}: more than ${s.maxItems} items`);
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as Schema[]) : [];
    value.forEach((v, i) => {
      if (i < prefix.length) out.push(...checkJsonSchema(prefix[i], v, `${path}[${i}]`));
      else if (s.items !== undefined) out.push(...checkJsonSchema(s.items as Schema, v, `${path}[${i}]`));
    });
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in obj)) out.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (s.propertyNames !== undefined) out.push(...checkJsonSchema(s.propertyNames as Schema, k, `${path}.${k} (name)`));
      if (k in props) out.push(...checkJsonSchema(props[k], v, `${path}.${k}`));
      else if (s.additionalProperties !== undefined) out.push(...checkJsonSchema(s.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) out.push(...checkJsonSchema(sub, value, path));
  if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => checkJsonSchema(sub, value, path).length === 0)) {
    out.push(`${path}: matches none of anyOf`);
  }
  if (Array.isArray(s.oneOf)) {
    const matches = (s.oneOf as Schema[]).filter((sub) => checkJsonSchema(sub, value, path).length === 0).length;
    if (matches !== 1) out.push(`${path}: matches ${matches} of oneOf (expected exactly 1)`);
  }
  return out;
}
