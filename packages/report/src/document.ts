import type { RunMetrics } from "@layerlab/runner";
import { curvesSvg } from "@layerlab/runner/curves-svg";
import { analyzeSpec, type DoctorFinding, type LayerCost, type TestReport } from "@layerlab/spec";
import { costSection } from "./cost";
import { esc, STYLE } from "./html";
import {
  confusionSection,
  curvesSection,
  doctorSection,
  type Example,
  examplesSection,
  hyperparameterSection,
  type ReportResources,
  type ReportSummary,
  resourcesSection,
  specSection,
  summarySection,
} from "./sections";

/*
 * The report page from facts already gathered. Browser-safe on purpose (no
 * sharp, no node:*): the CLI and the server gather a run folder's facts in
 * render.ts, the web app gathers a run it trained in the page, and both end here.
 */

export type { EpochResources, Example, ReportResources, ReportSummary } from "./sections";

/** The per-epoch columns the report reads (metrics.json's names; accuracies are fractions). */
export type ReportMetrics = Pick<RunMetrics, "epoch" | "train_loss" | "train_acc" | "val_loss" | "val_acc">;

/** Everything one report shows, gathered by the caller. */
export interface ReportParts {
  summary: ReportSummary;
  /** The model spec as the run used it; analysed here for shapes, parameters and FLOPs. */
  spec: unknown;
  /** The training config, one table row per field. */
  config: Record<string, unknown>;
  metrics: ReportMetrics;
  /** The test evaluation, or null when the run has none. */
  test: TestReport | null;
  /** Example predictions, or why there are none (said in the page). */
  examples: Example[] | string;
  findings: DoctorFinding[];
  /** A plain-words explanation of the findings (e.g. from `explainWithLlm`). */
  explanation?: string | null;
  resources: ReportResources;
  /** Per-layer times and inference latency measured when the run started, or null when it has none. */
  layerCost?: LayerCost | null;
  /** Where the facts came from, after "Generated … from": a run folder's path, "a run trained in this browser". */
  source: string;
  /** When the page was made (ISO 8601; default now). */
  generatedAt?: string;
}

/** The ids of the report's sections, in page order. */
export const REPORT_SECTIONS = [
  "summary",
  "model",
  "cost",
  "hyperparameters",
  "curves",
  "confusion",
  "examples",
  "doctor",
  "resources",
] as const;

/**
 * Which `wanted` test images a report shows: as even a share of every class
 * as the split allows, spread over each class's images, grouped by class. (A
 * plain stride would miss classes on splits whose labels repeat in a cycle.)
 */
export function exampleIndices(labels: ArrayLike<number>, count: number, wanted: number): number[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const lists = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
  const take = lists.map(() => 0);
  for (let picked = 0, c = 0; picked < Math.min(wanted, count); c = (c + 1) % lists.length) {
    if (take[c]! < lists[c]!.length) {
      take[c]!++;
      picked++;
    }
  }
  return lists.flatMap((list, c) =>
    Array.from({ length: take[c]! }, (_, j) => list[Math.floor((j * list.length) / take[c]!)]!),
  );
}

/**
 * One self-contained HTML page: inline CSS and SVG, images as data URLs, no
 * scripts and no external requests (its own CSP forbids them).
 */
export function reportHtml(parts: ReportParts): string {
  const title = `LayerLab report: ${parts.summary.name}`;
  const generatedAt = parts.generatedAt ?? new Date().toISOString();
  const analysis = analyzeSpec(parts.spec);
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    // No network at all: the page's own CSP forbids every fetch, so a stray URL cannot leak.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1><p class="muted">Generated ${esc(generatedAt)} from ${esc(parts.source)}</p>`,
    summarySection(parts.summary, parts.metrics),
    specSection(analysis),
    costSection(analysis, parts.layerCost ?? null),
    hyperparameterSection(parts.config),
    curvesSection(parts.metrics.epoch.length > 0 ? curvesSvg(parts.metrics) : null),
    confusionSection(parts.test),
    examplesSection(parts.examples),
    doctorSection(parts.findings, parts.explanation ?? null),
    resourcesSection(parts.resources),
    "</body></html>",
  ].join("\n");
}
