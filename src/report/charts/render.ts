import type { TopLevelSpec } from 'vega-lite';

/**
 * vega and vega-lite (together about 0.5-1 s to import, several seconds on a loaded machine) are
 * loaded on first use, so that commands that draw no chart, and any command's `--help`, do not
 * pay for them at start-up.
 */
let vega: Promise<typeof import('vega')> | undefined;
const loadVega = () => (vega ??= import('vega'));
let vegaLite: Promise<typeof import('vega-lite')> | undefined;
const loadVegaLite = () => (vegaLite ??= import('vega-lite'));

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export async function compileVegaLite(spec: TopLevelSpec): Promise<object> {
  const { compile } = await loadVegaLite();
  return compile(spec).spec;
}

/** Renders a Vega-Lite spec to SVG in Node: no canvas, no browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  return renderVegaSvg(await compileVegaLite(spec));
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
