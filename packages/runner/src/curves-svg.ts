import type { RunMetrics } from "./metrics";

/*
 * The curves drawing (seed 003): loss and accuracy per epoch, train against
 * validation, as an SVG string. No sharp and no Node here, so the browser's
 * report can draw the same picture; curves.ts rasterises it to curves.png.
 */

/** The per-epoch columns the curves are drawn from. */
export type CurveMetrics = Pick<RunMetrics, "train_loss" | "train_acc" | "val_loss" | "val_acc">;

const PANEL = { width: 480, height: 340, left: 64, right: 16, top: 40, bottom: 48 };
const COLORS = { train: "#1f77b4", val: "#ff7f0e", grid: "#e5e5e5", axis: "#333333", text: "#222222" };
const FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";

/** About `count` round tick values covering [min, max] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

interface Series {
  label: string;
  color: string;
  values: (number | null)[];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatTick(v: number): string {
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(0) : String(Number(v.toFixed(4)));
}

/** One panel: axes with ticks, grid, a line with markers per series, and a legend. */
function panel(x0: number, title: string, yLabel: string, series: Series[], fixedRange?: [number, number]): string {
  const { width, height, left, right, top, bottom } = PANEL;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const epochs = Math.max(...series.map((s) => s.values.length), 1);
  const finite = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  let [lo, hi] = fixedRange ?? [Math.min(...finite, 0), Math.max(...finite, 1e-6)];
  if (!fixedRange) {
    lo = Math.max(0, Math.min(...finite) - 0.05 * (Math.max(...finite) - Math.min(...finite)));
    hi = Math.max(...finite) * 1.05 || 1;
    if (finite.length === 0) [lo, hi] = [0, 1];
  }
  const xTicks = niceTicks(1, Math.max(epochs, 2), Math.min(epochs, 8)).filter((t) => Number.isInteger(t));
  const yTicks = niceTicks(lo, hi, 5);
  lo = Math.min(lo, yTicks[0] ?? lo);
  hi = Math.max(hi, yTicks.at(-1) ?? hi);
  const px = (epoch: number) => x0 + left + (epochs <= 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const py = (v: number) => top + plotH - ((v - lo) / (hi - lo || 1)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + left + plotW / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  );
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${x0 + left}" x2="${x0 + left + plotW}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x0 + left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 5}" stroke="${COLORS.axis}"/>`);
    parts.push(`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  parts.push(
    `<polyline points="${x0 + left},${top} ${x0 + left},${top + plotH} ${x0 + left + plotW},${top + plotH}" fill="none" stroke="${COLORS.axis}"/>`,
  );
  parts.push(
    `<text x="${x0 + left + plotW / 2}" y="${height - 10}" text-anchor="middle" font-size="12">epoch</text>`,
    `<text transform="translate(${x0 + 16},${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(yLabel)}</text>`,
  );
  series.forEach((s, k) => {
    const points = s.values
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i + 1).toFixed(1)},${py(v).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    if (points.length > 1) {
      parts.push(`<polyline points="${points.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
    for (const p of points) {
      const [cx, cy] = p.split(",");
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
    }
    const ly = top + 8 + k * 18;
    const lx = x0 + left + plotW - 110;
    parts.push(
      `<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`,
      `<text x="${lx + 26}" y="${ly}" dy="4" font-size="12">${escapeXml(s.label)}</text>`,
    );
  });
  return parts.join("\n");
}

/** The curves as an SVG document: loss on the left, accuracy (%) on the right. */
export function curvesSvg(metrics: CurveMetrics, title?: string): string {
  const width = PANEL.width * 2;
  const height = PANEL.height + (title ? 24 : 0);
  const hasVal = (xs: (number | null)[]) => xs.some((v) => v !== null);
  const percent = (xs: (number | null)[]) => xs.map((v) => (v === null ? null : v * 100));
  const loss: Series[] = [{ label: "train", color: COLORS.train, values: metrics.train_loss }];
  const acc: Series[] = [{ label: "train", color: COLORS.train, values: percent(metrics.train_acc) }];
  if (hasVal(metrics.val_loss)) loss.push({ label: "validation", color: COLORS.val, values: metrics.val_loss });
  if (hasVal(metrics.val_acc)) acc.push({ label: "validation", color: COLORS.val, values: percent(metrics.val_acc) });
  const accValues = acc.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const accLow = Math.max(0, Math.floor((Math.min(...accValues, 100) - 5) / 10) * 10);
  const offset = title ? 24 : 0;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}" fill="${COLORS.text}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    title ? `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>` : "",
    `<g transform="translate(0,${offset})">`,
    panel(0, "Loss", "cross-entropy", loss),
    panel(PANEL.width, "Accuracy", "accuracy (%)", acc, [accLow, 100]),
    "</g>",
    "</svg>",
  ].join("\n");
}
