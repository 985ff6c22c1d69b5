/**
 * The two charts `compare.ts` writes beside its JSON, as hand-written SVG
 * (no dependency): cost per connection against the number of concurrent
 * connections (fan-in), and the library's ratio to raw Deno for every
 * target row, unpinned and pinned.
 *
 * @module
 */

/** One line of the scale chart: an implementation's figure at each connection count. */
export interface Series {
  label: string;
  /** `[connections, value]`, value null where the run failed or was skipped. */
  points: [number, number | null][];
}

/** One bar group of the ratio chart. */
export interface RatioBar {
  label: string;
  unpinned: number | null;
  /** Null: the run failed; undefined: the row has no pinned run. */
  pinned?: number | null;
  /** The target ratio, with the side it must be on. */
  target?: number;
  lowerIsBetter?: boolean;
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** `text`, cut to `max` characters with an ellipsis (a subtitle must fit the chart). */
function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A "nice" number at least `max`: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function num(v: number): string {
  if (v === 0) return "0";
  if (v >= 100) return Math.round(v).toLocaleString("en-US");
  if (v >= 10) return v.toFixed(0);
  if (v >= 1) return v.toFixed(1);
  return v.toFixed(2);
}

/** One panel of the scale chart: log x (connections), linear y from 0. */
function panel(
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  series: Series[],
  xs: number[],
): string {
  const left = 56, right = 12, top = 28, bottom = 36;
  const pw = w - left - right, ph = h - top - bottom;
  const lo = Math.log10(Math.min(...xs)), hi = Math.log10(Math.max(...xs));
  const xAt = (n: number) =>
    x0 + left + (hi === lo ? pw / 2 : (Math.log10(n) - lo) / (hi - lo) * pw);
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number =>
    v !== null && Number.isFinite(v)
  );
  const step = niceMax(Math.max(0, ...values) / 4);
  const ticks = Math.max(1, Math.ceil(Math.max(0, ...values) / step));
  const yMax = step * ticks;
  const yAt = (v: number) => y0 + top + ph - (v / yMax) * ph;
  const out: string[] = [];
  out.push(
    `<text x="${x0 + w / 2}" y="${y0 + 16}" text-anchor="middle" font-size="13" font-weight="600">${
      esc(title)
    }</text>`,
  );
  for (let i = 0; i <= ticks; i++) {
    const v = step * i;
    const y = yAt(v);
    out.push(
      `<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${x0 + left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${num(v)}</text>`,
    );
  }
  for (const n of xs) {
    const x = xAt(n);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${y0 + top}" y2="${y0 + top + ph}" stroke="#eee"/>`,
      `<text x="${x}" y="${y0 + top + ph + 16}" text-anchor="middle" font-size="11">${
        n.toLocaleString("en-US")
      }</text>`,
    );
  }
  out.push(
    `<text x="${x0 + left + pw / 2}" y="${
      y0 + h - 4
    }" text-anchor="middle" font-size="11">concurrent connections (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = s.points.filter((p): p is [number, number] => p[1] !== null);
    if (pts.length > 1) {
      const d = pts.map(([n, v], k) => `${k ? "L" : "M"}${xAt(n).toFixed(1)},${yAt(v).toFixed(1)}`)
        .join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const [n, v] of pts) {
      out.push(
        `<circle cx="${xAt(n).toFixed(1)}" cy="${yAt(v).toFixed(1)}" r="3.5" fill="${colour}">` +
          `<title>${esc(s.label)}: ${num(v)} at ${n}</title></circle>`,
      );
    }
  });
  return out.join("\n");
}

/**
 * The scale chart: time per connection and memory per connection against
 * the number of concurrent connections, one line per implementation.
 */
export function scaleChart(
  title: string,
  time: { title: string; series: Series[] },
  memory: { title: string; series: Series[] },
  xs: number[],
  note: string,
): string {
  const w = 860, h = 380, pw = 420, ph = 300;
  const legend = time.series.map((s, i) =>
    `<rect x="${20 + i * 170}" y="${h - 22}" width="12" height="12" fill="${
      COLOURS[i % COLOURS.length]
    }"/><text x="${36 + i * 170}" y="${h - 12}" font-size="12">${esc(s.label)}</text>`
  ).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT}>
<rect width="${w}" height="${h}" fill="#fff"/>
<text x="${w / 2}" y="18" text-anchor="middle" font-size="15" font-weight="700">${esc(title)}</text>
<text x="${w / 2}" y="34" text-anchor="middle" font-size="11" fill="#555">${
    esc(fit(note, 140))
  }</text>
${panel(0, 34, pw, ph, time.title, time.series, xs)}
${panel(pw + 10, 34, pw, ph, memory.title, memory.series, xs)}
${legend}
</svg>
`;
}

/**
 * The ratio chart: per row, two horizontal bars (unpinned, pinned) of the
 * library's figure over raw Deno's, a line at 1 and a mark at the target.
 */
export function ratioChart(title: string, bars: RatioBar[], note: string): string {
  const labelW = 280, barW = 460, rowH = 36, top = 52, w = labelW + barW + 70;
  const h = top + bars.length * rowH + 44;
  const values = bars.flatMap((b) => [b.unpinned, b.pinned ?? null, b.target ?? null]).filter((
    v,
  ): v is number => v !== null && Number.isFinite(v));
  const xMax = Math.max(1.25, Math.ceil(Math.max(...values, 1) * 10) / 10);
  const xAt = (v: number) => labelW + (v / xMax) * barW;
  const out: string[] = [];
  for (let t = 0; t <= xMax + 1e-9; t += xMax > 2 ? 0.5 : 0.25) {
    const x = xAt(t);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${top - 6}" y2="${h - 40}" stroke="${
        Math.abs(t - 1) < 1e-9 ? "#333" : "#e4e4e4"
      }"/>`,
      `<text x="${x}" y="${h - 26}" text-anchor="middle" font-size="11">${t.toFixed(2)}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(
      `<text x="${labelW - 8}" y="${y + (b.lowerIsBetter ? 13 : 18)}" text-anchor="end" ` +
        `font-size="12">${esc(b.label)}</text>`,
    );
    if (b.lowerIsBetter) {
      out.push(
        `<text x="${labelW - 8}" y="${y + 26}" text-anchor="end" font-size="10" fill="#555">` +
          `lower is better</text>`,
      );
    }
    for (const [k, v, colour] of [[0, b.unpinned, "#1f77b4"], [1, b.pinned, "#9ecae1"]] as const) {
      if (v === undefined) continue;
      const by = y + 2 + k * 13;
      if (v === null) {
        out.push(
          `<text x="${labelW + 4}" y="${by + 10}" font-size="10" fill="#999">no figure</text>`,
        );
        continue;
      }
      const good = b.target === undefined ? true : b.lowerIsBetter ? v <= b.target : v >= b.target;
      out.push(
        `<rect x="${labelW}" y="${by}" width="${
          (xAt(v) - labelW).toFixed(1)
        }" height="11" fill="${colour}"/>`,
        `<text x="${xAt(v) + 4}" y="${by + 10}" font-size="10" paint-order="stroke" ` +
          `stroke="#fff" stroke-width="3" fill="${good ? "#222" : "#c00"}">` +
          `${v.toFixed(2)}${good ? "" : " ✗"}</text>`,
      );
    }
    if (b.target !== undefined) {
      const x = xAt(b.target);
      out.push(
        `<line x1="${x}" x2="${x}" y1="${y}" y2="${
          y + 28
        }" stroke="#d62728" stroke-width="2" stroke-dasharray="3,2"><title>target ${
          b.lowerIsBetter ? "≤" : "≥"
        } ${b.target}</title></line>`,
      );
    }
  });
  out.push(
    `<rect x="${labelW}" y="${h - 16}" width="12" height="10" fill="#1f77b4"/>`,
    `<text x="${labelW + 16}" y="${h - 7}" font-size="11">unpinned</text>`,
    `<rect x="${labelW + 90}" y="${h - 16}" width="12" height="10" fill="#9ecae1"/>`,
    `<text x="${labelW + 106}" y="${h - 7}" font-size="11">pinned to one CPU</text>`,
    `<line x1="${labelW + 240}" x2="${labelW + 252}" y1="${h - 11}" y2="${
      h - 11
    }" stroke="#d62728" stroke-width="2" stroke-dasharray="3,2"/>`,
    `<text x="${labelW + 256}" y="${h - 7}" font-size="11">target</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT}>
<rect width="${w}" height="${h}" fill="#fff"/>
<text x="${w / 2}" y="18" text-anchor="middle" font-size="15" font-weight="700">${esc(title)}</text>
<text x="${w / 2}" y="36" text-anchor="middle" font-size="11" fill="#555">${
    esc(fit(note, 125))
  }</text>
${out.join("\n")}
</svg>
`;
}
