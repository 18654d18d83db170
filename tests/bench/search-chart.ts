// Hand-written SVG line chart: p95 search latency against corpus size, one line per engine.
// Both axes are logarithmic (sizes span 1,000–50,000; latencies span about two decades).

export type ChartSeries = { label: string; color: string; points: { size: number; p95: number }[]; note?: string };
export type ChartTarget = { size: number; ms: number; label: string };

const W = 760;
const H = 440;
const M = { left: 78, right: 230, top: 56, bottom: 64 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmtSize = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function latencyChart({ title, subtitle, sizes, series, targets }: { title: string; subtitle: string; sizes: number[]; series: ChartSeries[]; targets: ChartTarget[] }): string {
  const values = [...series.flatMap((s) => s.points.map((p) => p.p95)), ...targets.map((t) => t.ms)].filter((v) => Number.isFinite(v) && v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const xMin = Math.min(...sizes) / 1.4;
  const xMax = Math.max(...sizes) * 1.4;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (size: number) => M.left + ((Math.log10(size) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotW;
  const y = (ms: number) => M.top + plotH - ((Math.log10(ms) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img" aria-labelledby="t d">`);
  out.push(`<title id="t">${esc(title)}</title><desc id="d">${esc(subtitle)}</desc>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="24" font-size="16" font-weight="600" fill="#111">${esc(title)}</text>`);
  out.push(`<text x="${M.left}" y="42" fill="#555">${esc(subtitle)}</text>`);

  // Y grid and ticks: 1, 2, 5 per decade.
  for (let decade = yMin; decade < yMax * 1.001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > yMax * 1.001) break;
      const yy = y(v).toFixed(1);
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? '#d0d0d0' : '#eee'}"/>`);
      out.push(`<text x="${M.left - 8}" y="${yy}" dy="4" text-anchor="end" fill="#333">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  // X ticks at the measured sizes.
  for (const size of sizes) {
    const xx = x(size).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${M.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${xx}" y="${M.top + plotH + 18}" text-anchor="middle" fill="#333">${fmtSize(size)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 16}" text-anchor="middle" fill="#111">corpus size (articles, log scale)</text>`);
  out.push(`<text transform="translate(20 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#111">p95 search latency (ms, log scale)</text>`);

  // Targets: a short dashed mark at the size each applies to (explained in the legend).
  for (const t of targets) {
    const yy = y(t.ms).toFixed(1);
    out.push(`<line x1="${(x(t.size) - 30).toFixed(1)}" x2="${(x(t.size) + 30).toFixed(1)}" y1="${yy}" y2="${yy}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"><title>${esc(t.label)}</title></line>`);
  }

  // Lines, points and value labels.
  series.forEach((s, index) => {
    const labelDy = index === 0 ? 15 : -7; // first line's labels below its points, the others' above
    const pts = s.points.filter((p) => Number.isFinite(p.p95) && p.p95 > 0).sort((a, b) => a.size - b.size);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${pts.map((p) => `${x(p.size).toFixed(1)},${y(p.p95).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${x(p.size).toFixed(1)}" cy="${y(p.p95).toFixed(1)}" r="4" fill="${s.color}"><title>${esc(`${s.label}: ${fmtSize(p.size)} articles, p95 ${fmtMs(p.p95)} ms`)}</title></circle>`);
      out.push(`<text x="${(x(p.size) + 7).toFixed(1)}" y="${(y(p.p95) + labelDy).toFixed(1)}" fill="${s.color}" font-size="11">${fmtMs(p.p95)}</text>`);
    }
  });

  // Legend: engines, then the targets.
  const lx = M.left + plotW + 16;
  series.forEach((s, i) => {
    const ly = M.top + 10 + i * 40;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" dy="4" fill="#111">${esc(s.label)}</text>`);
    if (s.note) out.push(`<text x="${lx + 28}" y="${ly + 16}" dy="4" fill="#777" font-size="11">${esc(s.note)}</text>`);
  });
  if (targets.length) {
    const ly = M.top + 10 + series.length * 40;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" dy="4" fill="#111">target p95 (in process)</text>`);
    targets.forEach((t, i) => out.push(`<text x="${lx + 28}" y="${ly + 16 + i * 15}" dy="4" fill="#777" font-size="11">${esc(t.label)}</text>`));
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
