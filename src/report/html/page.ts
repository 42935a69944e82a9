import type { Summary } from '../../results/summary.ts';
import type { ReportTable } from '../tables.ts';
import { vegaBundle } from './vega-bundle.ts';
import { verdictText } from '../verdict-text.ts';

export interface HtmlChart {
  id: string;
  title: string;
  description: string;
  /** The compiled Vega spec (Vega-Lite is compiled in Node: the page needs vega only). */
  vega: object;
  /** File name of the same chart as SVG, linked from the page. */
  svgFile?: string;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Escapes, then renders the two bits of Markdown the tables use: **bold** and `code`. */
function inline(s: string): string {
  return escapeHtml(s)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`(.+?)`/g, '<code>$1</code>');
}

function tableHtml(t: ReportTable): string {
  const head = `<tr>${t.header.map((h) => `<th>${inline(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section class="table"><h3>${inline(t.title)}</h3><table><thead>${head}</thead><tbody>\n${body}\n</tbody></table>${t.note ? `<p class="note">${inline(t.note)}</p>` : ''}</section>`;
}

/** The verdict block the page opens with: headline, SLOs, bill, steady state, warnings. */
function verdictHtml(s: Summary): string {
  if (!s.verdict) return ''; // a summary.json written before 0.2.0
  const t = verdictText(s);
  const bad = t.lines.some((l) => l.bad);
  const items = t.lines.map((l) => `<li${l.bad ? ' class="bad"' : ''}>${escapeHtml(l.text)}</li>`).join('\n');
  return `<section class="verdict${bad ? ' attention' : ''}" id="verdict"><h2>${escapeHtml(t.headline)}</h2><ul>\n${items}\n</ul></section>`;
}

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (x: unknown) => JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1000px; padding: 16px 24px 48px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; } p.run { color: #444; margin: 0 0 8px; } p.note, figure p { color: #666; font-size: 12px; margin: 4px 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; } th:first-child, td:first-child { text-align: left; overflow-wrap: anywhere; }
th { background: #f6f6f6; font-weight: 600; } .tables { max-width: 100%; }
.verdict { border: 1px solid #9ac59a; background: #f3faf3; padding: 4px 14px 8px; margin: 12px 0 20px; }
.verdict.attention { border-color: #e0a040; background: #fff8ec; } .verdict h2 { border: 0; margin: 8px 0 4px; }
.verdict ul { margin: 4px 0; padding-left: 20px; } .verdict li { margin: 3px 0; overflow-wrap: anywhere; } .verdict li.bad { color: #8a2a00; }
figure.chart { margin: 18px 0 26px; } figcaption { color: #666; font-size: 12px; margin: 2px 0 0 8px; } .vis { min-height: 60px; overflow-x: auto; }
.vis[data-rendered="error"] { color: #b00; font-family: monospace; }
.incomplete { background: #fff4e5; border: 1px solid #f0b35a; padding: 6px 10px; }
footer { margin-top: 36px; color: #888; font-size: 12px; }
`;

/**
 * report.html: one self-contained page (no network): vega's browser build inlined, the charts'
 * Vega specs compiled in Node and embedded as JSON, the summary tables as HTML.
 */
export function renderHtml(opts: { summary: Summary; runLine: string; tables: ReportTable[]; charts: HtmlChart[]; headTables?: number }): string {
  const { summary: s, charts } = opts;
  const head = opts.headTables ?? 2;
  const vega = vegaBundle();
  const specs = Object.fromEntries(charts.map((c) => [c.id, c.vega]));
  const figures = charts
    .map(
      (c) =>
        `<figure class="chart" id="chart-${escapeHtml(c.id)}"><div class="vis" data-chart="${escapeHtml(c.id)}" role="img" aria-label="${escapeHtml(c.title)}"></div><figcaption>${escapeHtml(c.description)}${c.svgFile ? ` <a href="${escapeHtml(c.svgFile)}">SVG</a>` : ''}</figcaption></figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetsim report: ${escapeHtml(s.scenario)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>fleetsim report: ${escapeHtml(s.scenario)}</h1>
<p class="run${s.complete ? '' : ' incomplete'}">${inline(opts.runLine)}</p>
${verdictHtml(s)}
<div class="tables">
${opts.tables.slice(0, head).map(tableHtml).join('\n')}
</div>
<h2>Charts</h2>
${figures || '<p>No chart: the run has no data to draw.</p>'}
<h2>Details</h2>
<div class="tables">
${opts.tables.slice(head).map(tableHtml).join('\n')}
</div>
<footer>Generated by fleetsim ${escapeHtml(s.fleetsim_version)}; charts drawn by vega ${escapeHtml(vega.version)} (BSD-3-Clause), inlined: this file works offline.</footer>
<script>
/*! vega ${vega.version} | BSD-3-Clause | https://github.com/vega/vega */
${vega.code.replace(/<\/script/gi, '<\\/script')}
</script>
<script type="application/json" id="fleetsim-specs">${scriptJson(specs)}</script>
<script>
(async function () {
  var specs = JSON.parse(document.getElementById('fleetsim-specs').textContent);
  var ids = Object.keys(specs);
  for (var i = 0; i < ids.length; i++) {
    var el = document.querySelector('.vis[data-chart="' + ids[i] + '"]');
    try {
      var view = new vega.View(vega.parse(specs[ids[i]]), { renderer: 'svg', container: el, hover: true, logLevel: vega.Warn });
      await view.runAsync();
      el.setAttribute('data-rendered', 'ok');
    } catch (e) {
      el.setAttribute('data-rendered', 'error');
      el.textContent = 'This chart failed to render: ' + e;
      console.error('fleetsim: chart ' + ids[i] + ' failed:', e);
    }
  }
  document.body.setAttribute('data-charts', 'done');
})();
</script>
</body>
</html>
`;
}
