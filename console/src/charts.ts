// Horizontal bar charts as inline SVG. Each chart is one image to assistive technology,
// labelled with its values in words; the numbers are also printed beside the bars.

import { s } from './dom';

export interface Bar {
  label: string;
  value: number;
  /** What is printed at the end of the bar (defaults to the value). */
  text?: string;
  /** Stacked parts, drawn left to right, each a share of `value`'s length. */
  parts?: Array<{ value: number; className: string; label: string }>;
  className?: string;
}

export interface BarOptions {
  /** The longest bar's value (defaults to the largest value). */
  max?: number;
  /** Accessible name: what the chart shows, values included. */
  title: string;
  labelWidth?: number;
  width?: number;
}

const ROW = 26;

export function bars(data: Bar[], opts: BarOptions): SVGElement {
  const width = opts.width ?? 560;
  const labelWidth = opts.labelWidth ?? 170;
  const textWidth = Math.min(90, width / 5);
  const barArea = width - labelWidth - textWidth;
  const max = opts.max ?? Math.max(1e-9, ...data.map((d) => d.value));
  const height = data.length * ROW + 4;
  const rows = data.map((d, i) => {
    const y = i * ROW + 4;
    const length = Math.max(0, Math.min(1, d.value / max)) * barArea;
    let x = labelWidth;
    const total = d.parts?.reduce((sum, p) => sum + p.value, 0) ?? 0;
    const rects = d.parts
      ? d.parts.map((p) => {
          const w = total > 0 ? (p.value / total) * length : 0;
          const rect = s('rect', { x, y, width: w, height: ROW - 10, class: p.className }, s('title', null, p.label));
          x += w;
          return rect;
        })
      : [s('rect', { x, y, width: length, height: ROW - 10, rx: 2, class: d.className ?? 'bar' })];
    return s(
      'g',
      null,
      s('text', { x: labelWidth - 8, y: y + ROW / 2 - 1, 'text-anchor': 'end', class: 'chart-label' }, truncate(d.label, 24)),
      s('rect', { x: labelWidth, y, width: barArea, height: ROW - 10, class: 'track' }),
      rects,
      s('text', { x: labelWidth + length + 6, y: y + ROW / 2 - 1, class: 'chart-value' }, d.text ?? String(d.value)),
    );
  });
  return s(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': opts.title, class: 'chart', preserveAspectRatio: 'xMinYMin meet' },
    s('title', null, opts.title),
    rows,
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
