/**
 * JavaScript's reserved property names: as an object key they change or shadow its prototype (a
 * station named `__proto__` used to vanish without a word), so no name or field may be one.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
