import { formatSweepValue, type SweepValue } from "@layerlab/spec";
import { esc, percent, STYLE, section, table } from "./html";

/*
 * The report of a sweep: what every run shared and what differed, the score of each run in a table and a
 * chart, and what the results say. Browser-safe string builders over the sweep's view (the server's
 * GET /api/sweeps/:id answer, or one the studio reads from its own store), so both make the same page.
 */

/** What a sweep report reads; the API's SweepView has this shape. */
export interface SweepReportInput {
  id: string;
  name: string;
  kind: "grid" | "kfold";
  dataset: string;
  control: string;
  plan: { axes: readonly { field: string; values: readonly SweepValue[] }[] };
  runs: readonly {
    label: string;
    values: readonly SweepValue[];
    score: number | null;
    run: { status: string; epochsDone: number; epochs: number };
  }[];
  findings: readonly string[];
  kfold: { text: string; perFold: readonly (number | null)[] } | null;
}

const COLORS = ["#2e86de", "#e4572e", "#27ae60", "#8e44ad", "#f39c12", "#16a085"];
const H = 260;
/** The plot's width; a legend (one line per value of the second setting) gets room to its right. */
const PLOT_WIDTH = 500;
const LEGEND_WIDTH = 170;

/**
 * The score against the first setting, one line per value of the second (a k-fold: each fold's validation
 * accuracy). The values sit evenly apart in the order the sweep lists them, which reads 1e-4, 1e-3, 1e-2 as
 * a log axis does. Null while no run has a score.
 */
export function sweepScoreSvg(sweep: SweepReportInput): string | null {
  const kfold = sweep.kind === "kfold" && sweep.kfold !== null;
  const xValues: readonly SweepValue[] = kfold
    ? sweep.kfold!.perFold.map((_, f) => `fold ${f + 1}`)
    : sweep.plan.axes[0]!.values;
  const lineAxis = kfold ? null : (sweep.plan.axes[1] ?? null);
  const lines = (lineAxis ? lineAxis.values : [null]).map((lineValue) => ({
    label: lineValue === null ? null : `${lineAxis!.field} ${formatSweepValue(lineValue)}`,
    scores: xValues.map((x, i) => {
      if (kfold) return sweep.kfold!.perFold[i] ?? null;
      const run = sweep.runs.find((r) => r.values[0] === x && (lineValue === null || r.values[1] === lineValue));
      return run?.score ?? null;
    }),
  }));
  const W = 56 + PLOT_WIDTH + (lineAxis ? LEGEND_WIDTH : 16);
  const PLOT = { left: 56, right: 56 + PLOT_WIDTH, top: 14, bottom: H - 44 };
  const all = lines.flatMap((l) => l.scores.filter((s): s is number => s !== null));
  if (all.length === 0) return null;
  // Whole percents around the scores, at least 2 points apart.
  let lo = Math.floor(Math.min(...all) * 100);
  let hi = Math.ceil(Math.max(...all) * 100);
  if (hi - lo < 2) [lo, hi] = [Math.max(0, lo - 1), Math.min(100, hi + 1)];
  const x = (i: number) => PLOT.left + ((i + 0.5) * (PLOT.right - PLOT.left)) / xValues.length;
  const y = (score: number) => PLOT.bottom - ((score * 100 - lo) / (hi - lo)) * (PLOT.bottom - PLOT.top);
  const step = Math.max(1, Math.ceil((hi - lo) / 4));
  const parts: string[] = [];
  for (let p = lo; p <= hi; p += step) {
    const py = y(p / 100).toFixed(1);
    parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${py}" y2="${py}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${PLOT.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${p}%</text>`);
  }
  xValues.forEach((v, i) => {
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${PLOT.bottom + 16}" text-anchor="middle">${esc(formatSweepValue(v))}</text>`,
    );
  });
  const xTitle = kfold ? "held-out fold" : sweep.plan.axes[0]!.field;
  parts.push(
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${H - 6}" text-anchor="middle" font-weight="600">${esc(xTitle)}</text>`,
  );
  lines.forEach((line, k) => {
    const color = COLORS[k % COLORS.length]!;
    const points = line.scores.flatMap((s, i) => (s === null ? [] : [[x(i), y(s)] as const]));
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")}"/>`,
    );
    for (const [px, py] of points)
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${color}"/>`);
    if (line.label) {
      const ly = PLOT.top + 4 + k * 16;
      parts.push(`<rect x="${PLOT.right + 14}" y="${ly - 5}" width="10" height="10" fill="${color}"/>`);
      parts.push(`<text x="${PLOT.right + 29}" y="${ly}" dominant-baseline="middle">${esc(line.label)}</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="score against ${esc(xTitle)}">${parts.join("")}</svg>`;
}

/**
 * What a k-fold's results say. The summary of a grid ranks settings, but a fold is not a setting to pick:
 * the spread over the folds says how much the validation accuracy depends on which images are held out.
 */
export function kFoldFindings(sweep: Pick<SweepReportInput, "kfold" | "runs">): string[] {
  const perFold = sweep.kfold?.perFold ?? [];
  const done = perFold.filter((v): v is number => v !== null);
  if (done.length === 0) return [`No fold of ${perFold.length} has finished yet.`];
  const findings: string[] = [];
  if (done.length >= 2) {
    findings.push(
      `Across the folds the final validation accuracy runs from ${percent(Math.min(...done))} to ${percent(Math.max(...done))}: that is how much it moves with which images are held out, so setups closer than that cannot be told apart on this data.`,
    );
  }
  const tests = sweep.runs.flatMap((r) => (r.score === null ? [] : [r.score]));
  if (tests.length > 0) {
    const mean = tests.reduce((a, b) => a + b, 0) / tests.length;
    findings.push(`On the test set the fold models score ${percent(mean)} on average.`);
  }
  if (done.length < perFold.length)
    findings.push(`${perFold.length - done.length} of ${perFold.length} folds have no result yet.`);
  return findings;
}

/** The sweep as one report section: the control statement, the k-fold's result, the runs, the chart, the findings. */
export function sweepSection(sweep: SweepReportInput): string {
  const best = sweep.runs.reduce<number | null>(
    (b, r, i) => (r.score !== null && (b === null || r.score > sweep.runs[b]!.score!) ? i : b),
    null,
  );
  const kfold = sweep.kind === "kfold" && sweep.kfold !== null;
  const head = kfold
    ? ["fold", "status", "epochs", "validation accuracy", "test accuracy"]
    : ["#", ...sweep.plan.axes.map((a) => esc(a.field)), "status", "epochs", "score"];
  const rows = sweep.runs.map((r, i) =>
    kfold
      ? [
          String(Number(r.values[0]) + 1),
          esc(r.run.status),
          `${r.run.epochsDone} of ${r.run.epochs}`,
          percent(sweep.kfold!.perFold[i] ?? null),
          percent(r.score),
        ]
      : [
          String(i + 1) + (i === best ? " <b>best</b>" : ""),
          ...r.values.map((v) => esc(formatSweepValue(v))),
          esc(r.run.status),
          `${r.run.epochsDone} of ${r.run.epochs}`,
          i === best ? `<b>${percent(r.score)}</b>` : percent(r.score),
        ],
  );
  const headline = kfold
    ? `<p><b>${esc(sweep.kfold!.text)}</b> (mean ± standard deviation of the folds' final validation accuracy)</p>`
    : "";
  const chart = sweepScoreSvg(sweep) ?? `<p class="muted">No run has a score yet.</p>`;
  const said = kfold ? kFoldFindings(sweep) : sweep.findings;
  const findings =
    said.length === 0
      ? `<p class="muted">No findings yet.</p>`
      : `<ul>${said.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>`;
  return section(
    "sweep",
    sweep.kind === "kfold" ? "Cross-validation" : "Sweep",
    `<p>${esc(sweep.control)}</p>${headline}${table(head, rows)}\n${chart}\n<h3>What changed</h3>${findings}`,
  );
}

/** One self-contained HTML page for a sweep (inline CSS and SVG, no scripts, no requests). */
export function sweepReportHtml(sweep: SweepReportInput, opts: { source: string; generatedAt?: string }): string {
  const title = `LayerLab sweep report: ${sweep.name}`;
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1><p class="muted">Generated ${esc(opts.generatedAt ?? new Date().toISOString())} from ${esc(opts.source)}; ${sweep.runs.length} runs on ${esc(sweep.dataset)}, sweep <code>${esc(sweep.id)}</code></p>`,
    sweepSection(sweep),
    "</body></html>",
  ].join("\n");
}
