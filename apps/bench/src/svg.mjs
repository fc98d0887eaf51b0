// A hand-written SVG bar chart: one panel per metric, one horizontal bar per path, linear scales; a panel with
// `scale: 'auto'` whose values span more than 30× is drawn on a log scale (said in its title), so that the small
// bars stay visible next to Portkey's first SSE event.

const WIDTH = 980;
const LABEL_W = 190;
const BAR_W = 620;
const ROW_H = 20;
const PANEL_GAP = 18;
const TITLE_H = 24;

const COLORS = { ours: '#1f6feb', baseline: '#8b949e', peer: '#d97706' };

const escapeXml = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * @param title chart title
 * @param panels `[{ title, scale?: 'auto', format(value) → text, rows: [{ label, value (number or undefined), kind, note? }] }]`
 */
export function barChart(title, subtitle, panels) {
  const parts = [];
  let y = 46;
  for (const panel of panels) {
    const values = panel.rows.map((row) => row.value).filter((value) => Number.isFinite(value) && value > 0);
    const max = Math.max(...values, Number.MIN_VALUE);
    const min = Math.min(...values, max);
    const log = panel.scale === 'auto' && values.length > 1 && max / min > 30;
    const low = log ? 10 ** Math.floor(Math.log10(min)) : 0;
    const scale = (value) =>
      log
        ? (Math.log10(value / low) / Math.log10((max * 1.05) / low)) * BAR_W
        : (value / (max * 1.05)) * BAR_W;
    parts.push(
      `<text x="12" y="${y + 15}" class="panel">${escapeXml(panel.title)}${log ? ' (log scale)' : ''}</text>`,
    );
    y += TITLE_H;
    for (const row of panel.rows) {
      const color = COLORS[row.kind] ?? COLORS.baseline;
      parts.push(
        `<text x="${LABEL_W - 8}" y="${y + 14}" class="label" text-anchor="end">${escapeXml(row.label)}</text>`,
      );
      if (Number.isFinite(row.value) && row.value > 0) {
        const width = Math.max(1, scale(row.value));
        parts.push(
          `<rect x="${LABEL_W}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW_H - 6}" fill="${color}" rx="2"/>`,
          `<text x="${(LABEL_W + width + 6).toFixed(1)}" y="${y + 14}" class="value">${escapeXml(panel.format(row.value))}</text>`,
        );
      } else {
        parts.push(
          `<text x="${LABEL_W + 6}" y="${y + 14}" class="missing">${escapeXml(row.note ?? 'not run')}</text>`,
        );
      }
      y += ROW_H;
    }
    y += PANEL_GAP;
  }
  const legendY = y;
  const legend = [
    ['ours', 'our relay (serveRelay, full policy)'],
    ['baseline', 'baseline and references (direct, forwarders, minimal policy)'],
    ['peer', 'peer (nginx, Portkey)'],
  ];
  // Each entry after the previous one's text (about 6 px a character at 11 px).
  let x = 12;
  for (const [kind, text] of legend) {
    parts.push(
      `<rect x="${x}" y="${legendY}" width="12" height="12" fill="${COLORS[kind]}" rx="2"/>`,
      `<text x="${x + 18}" y="${legendY + 11}" class="label">${escapeXml(text)}</text>`,
    );
    x += 18 + text.length * 6 + 24;
  }
  const height = legendY + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" role="img">
<title>${escapeXml(`${title}: ${subtitle}`)}</title>
<style>
.title { font-size: 16px; font-weight: 600; fill: #1f2328; }
.subtitle { font-size: 11px; fill: #57606a; }
.panel { font-size: 13px; font-weight: 600; fill: #1f2328; }
.label { font-size: 11px; fill: #1f2328; }
.value { font-size: 11px; fill: #1f2328; }
.missing { font-size: 11px; fill: #cf222e; font-style: italic; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="22" class="title">${escapeXml(title)}</text>
<text x="12" y="38" class="subtitle">${escapeXml(subtitle)}</text>
${parts.join('\n')}
</svg>
`;
}
