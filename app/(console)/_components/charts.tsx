/**
 * Charts drawn on the server as plain SVG: no chart library, no client JavaScript. Each chart is an
 * image with a title and a description a screen reader announces, and the same numbers as a table
 * for anyone who would rather read them (WCAG 1.1.1).
 */

export type SeriesPoint = { /** ISO day, "2026-11-30" */ day: string; value: number };

const W = 960;
const H = 280;
const M = { top: 28, right: 20, bottom: 40, left: 52 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

const dayLabel = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const dayLong = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const fmt = (date: string, f: Intl.DateTimeFormat) => f.format(new Date(`${date}T00:00:00Z`));
const num = (n: number) => n.toLocaleString('en-GB');

/** Round axis steps (1, 2, 5 × 10ⁿ) so gridlines land on numbers people read at a glance. */
export function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (max <= 0) return { top: ticks, step: 1 };
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const whole = Math.max(1, Math.ceil(step));
  return { top: Math.ceil(max / whole) * whole, step: whole };
}

/**
 * A daily series as an area chart: gridlines with values, a date every week, the busiest day
 * marked, and a native tooltip for each day on hover.
 */
export function DailyAreaChart({
  id,
  title,
  unit,
  points,
}: {
  id: string;
  title: string;
  /** Plural noun for the values, e.g. "views". */
  unit: string;
  points: SeriesPoint[];
}) {
  const n = points.length;
  const max = Math.max(0, ...points.map((p) => p.value));
  const scale = niceScale(max);
  const step = scale.step;
  // One more gridline when the busiest day reaches the top, so its label has room.
  const top = max > scale.top * 0.9 ? scale.top + step : scale.top;
  const x = (i: number) => M.left + (n <= 1 ? PLOT_W / 2 : (i / (n - 1)) * PLOT_W);
  const y = (v: number) => M.top + PLOT_H - (v / top) * PLOT_H;

  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const area = n ? `${line} L${x(n - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z` : '';
  const gridValues = Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => i * step);
  // A date under every seventh day counted back from the latest, so "today" is always labelled.
  const labelled = new Set(points.map((_, i) => i).filter((i) => (n - 1 - i) % 7 === 0));
  const peakIndex = points.reduce((best, p, i) => (p.value > points[best]!.value ? i : best), 0);
  const peak = points[peakIndex];
  const total = points.reduce((sum, p) => sum + p.value, 0);
  const first = points[0];
  const last = points.at(-1);
  const description =
    first && last
      ? `${num(total)} ${unit} from ${fmt(first.day, dayLong)} to ${fmt(last.day, dayLong)}. ` +
        (peak && peak.value > 0 ? `Busiest day ${fmt(peak.day, dayLong)} with ${num(peak.value)}. ` : '') +
        `Latest day ${num(last.value)}.`
      : `No ${unit}.`;
  const slot = n > 1 ? PLOT_W / (n - 1) : PLOT_W;

  return (
    <div className="space-y-3">
      <div className="overflow-x-auto">
        <svg
          viewBox={`0 0 ${W} ${H}`}
          className="block h-auto w-full min-w-[640px]"
          role="img"
          aria-labelledby={`${id}-title`}
          aria-describedby={`${id}-desc`}
          data-testid={`${id}-chart`}
        >
          <title id={`${id}-title`}>{title}</title>
          <desc id={`${id}-desc`}>{description}</desc>
          <defs>
            <linearGradient id={`${id}-fill`} x1="0" x2="0" y1="0" y2="1">
              <stop offset="0%" style={{ stopColor: 'var(--accent)', stopOpacity: 0.32 }} />
              <stop offset="100%" style={{ stopColor: 'var(--accent)', stopOpacity: 0.02 }} />
            </linearGradient>
          </defs>

          {gridValues.map((v) => (
            <g key={v}>
              <line x1={M.left} x2={W - M.right} y1={y(v)} y2={y(v)} className="stroke-line" strokeWidth={1} strokeDasharray={v === 0 ? undefined : '3 5'} />
              <text x={M.left - 10} y={y(v)} dy="0.35em" textAnchor="end" className="fill-muted text-[13px] tabular-nums">
                {num(v)}
              </text>
            </g>
          ))}

          {points.map((p, i) =>
            labelled.has(i) ? (
              <g key={p.day}>
                <line x1={x(i)} x2={x(i)} y1={y(0)} y2={y(0) + 5} className="stroke-line" />
                <text x={x(i)} y={H - M.bottom + 22} textAnchor={i === n - 1 ? 'end' : 'middle'} className="fill-muted text-[13px]">
                  {i === n - 1 ? `Today, ${fmt(p.day, dayLabel)}` : fmt(p.day, dayLabel)}
                </text>
              </g>
            ) : null,
          )}

          <path d={area} fill={`url(#${id}-fill)`} />
          <path d={line} fill="none" className="stroke-accent" strokeWidth={2.5} strokeLinejoin="round" strokeLinecap="round" />
          {points.map((p, i) => (
            <circle key={p.day} cx={x(i)} cy={y(p.value)} r={i === peakIndex && p.value > 0 ? 5 : 2.5} className={i === peakIndex && p.value > 0 ? 'fill-accent stroke-[var(--surface)]' : 'fill-accent'} strokeWidth={2} />
          ))}
          {peak && peak.value > 0 && (
            <text
              x={Math.min(Math.max(x(peakIndex), M.left + 40), W - M.right - 40)}
              y={y(peak.value) - 12}
              textAnchor="middle"
              className="fill-fg text-[13px] font-semibold"
            >
              {num(peak.value)} on {fmt(peak.day, dayLabel)}
            </text>
          )}

          {/* Hover targets, one column per day, with the day's number as a native tooltip. */}
          {points.map((p, i) => (
            <rect key={p.day} x={x(i) - slot / 2} y={M.top} width={slot} height={PLOT_H} fill="transparent">
              <title>{`${fmt(p.day, dayLong)}: ${num(p.value)} ${unit}`}</title>
            </rect>
          ))}
        </svg>
      </div>
      <details className="rounded-lg border border-line">
        <summary className="flex min-h-11 cursor-pointer items-center px-3 text-sm font-semibold">Show the numbers as a table</summary>
        {/* It scrolls, so it takes focus: the arrow keys scroll it without a mouse (WCAG 2.1.1). */}
        <div className="max-h-80 overflow-y-auto border-t border-line" tabIndex={0} role="region" aria-label={`${title}, one row per day`}>
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{title}, one row per day (UTC)</caption>
            <thead className="sticky top-0 bg-surface-muted text-muted">
              <tr>
                <th scope="col" className="px-3 py-2 font-semibold">Day (UTC)</th>
                <th scope="col" className="px-3 py-2 text-right font-semibold capitalize">{unit}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-line">
              {points.map((p) => (
                <tr key={p.day}>
                  <th scope="row" className="px-3 py-1.5 font-normal">
                    <time dateTime={p.day}>{fmt(p.day, dayLong)}</time>
                  </th>
                  <td className="px-3 py-1.5 text-right tabular-nums">{num(p.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
