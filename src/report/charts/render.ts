import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function compileVegaLite(spec: TopLevelSpec): object {
  return compile(spec).spec;
}

/** Renders a Vega-Lite spec to SVG in Node: no canvas, no browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec as Parameters<typeof parse>[0]), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
