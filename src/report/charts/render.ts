import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * vega (about 0.3-0.6 s to import) is loaded on first use, so that commands that draw no chart
 * (and `--version`, `--help`) do not pay for it at startup.
 */
let vega: Promise<typeof import('vega')> | undefined;
const loadVega = () => (vega ??= import('vega'));

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function compileVegaLite(spec: TopLevelSpec): object {
  return compile(spec).spec;
}

/** Renders a Vega-Lite spec to SVG in Node: no canvas, no browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  return renderVegaSvg(compile(spec).spec);
}

/** Renders an already compiled Vega spec to SVG in Node (the report compiles once for SVG and HTML). */
export async function renderVegaSvg(vegaSpec: object): Promise<string> {
  const { parse, View } = await loadVega();
  const view = new View(parse(vegaSpec as Parameters<typeof parse>[0]), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
