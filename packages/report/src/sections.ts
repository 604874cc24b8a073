import type { RunMetrics } from "@layerlab/runner";
import { configSummary, type DoctorFinding, type LayerInfo, type SpecAnalysis, type TestReport } from "@layerlab/spec";
import { graphFigure } from "./graph-figure";
import { bytes, count, esc, fmt, percent, section, table } from "./html";

/*
 * The report's sections as pure string builders over plain facts: no run
 * folder, no Node, so the browser builds the same page from a run it trained.
 */

/** One example prediction for the report. */
export interface Example {
  /** A `data:image/png` URL (the page makes no requests). */
  dataUrl: string;
  trueClass: string;
  predictedClass: string;
  /** The predicted class's probability, or null where only the class was kept. */
  probability: number | null;
}

/** Who the run is and where it stands: the summary's facts. */
export interface ReportSummary {
  name: string;
  id: string;
  /** `succeeded`, `failed`, `aborted`, `diverged`, … */
  status: string;
  /** Why the run stopped, for a person. */
  message: string | null;
  dataset: { name: string; shape: readonly number[]; classes: readonly string[] };
  epochsDone: number;
  epochs: number;
  bestEpoch: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  /** ISO 8601. */
  createdAt: string;
}

/** One epoch's time and throughput; null where the run did not record it. */
export interface EpochResources {
  epoch: number;
  seconds: number | null;
  samplesPerSec: number | null;
}

/** Where and how fast a run trained; facts a platform cannot measure read "not recorded". */
export interface ReportResources {
  /** Seconds spent in the epochs (training and validation), null if unknown. */
  trainSeconds: number | null;
  /** Wall time of the whole run, when known. */
  wallSeconds?: number | null;
  /** Largest resident memory of the training process (a browser cannot measure it). */
  peakRssBytes?: number | null;
  /** Where the kernels ran: `wasm`, `webgpu`, or a label such as "Wasm, 4 threads". */
  backend: string | null;
  /** The CPU model and core count, or where the run trained when that is unknown ("this browser (…)"). */
  cpu: string;
  /** Software versions, e.g. "Node v20.11.0, jax-js 0.1.25, LayerLab 0.1.0". */
  versions?: string | null;
  epochs: EpochResources[];
  /** Throughput to show when no epoch records one, with what it measured (e.g. "last logged batch"). */
  samplesPerSec?: { value: number; basis: string } | null;
}

/** Run name, status, dataset and the headline numbers. */
export function summarySection(info: ReportSummary, metrics: Pick<RunMetrics, "val_acc">): string {
  const rows = [
    ["Run", esc(info.name)],
    ["Status", esc(info.status) + (info.message ? ` <span class="muted">(${esc(info.message)})</span>` : "")],
    ["Dataset", `${esc(info.dataset.name)} (${info.dataset.shape.join("×")}, ${info.dataset.classes.length} classes)`],
    ["Epochs", `${info.epochsDone} of ${info.epochs}`],
    ["Best epoch", info.bestEpoch === null ? "—" : String(info.bestEpoch)],
    ["Final validation accuracy", percent(metrics.val_acc.at(-1) ?? null)],
    ["Test accuracy", percent(info.testAccuracy)],
    ["Test loss", fmt(info.testLoss)],
    ["Created", esc(info.createdAt)],
    ["Run id", `<code>${esc(info.id)}</code>`],
  ];
  return section("summary", "Summary", table(["", ""], rows, "kv"));
}

/**
 * The layers with their shapes, parameters and FLOPs, from the spec analysis. For a graph model the table
 * names what each layer takes where that is not the layer above (by number and id), and a figure draws the
 * graph.
 */
export function specSection(analysis: SpecAnalysis): string {
  // A shape stays on one line; a merge's several shapes break between them.
  const shape = (s: readonly number[] | null) =>
    s ? `<span style="white-space:nowrap">[${s.join(", ")}]</span>` : "—";
  const graph = analysis.layers.some((l) => l.sources.length !== 1 || l.sources[0] !== l.index - 1);
  const idOf = (index: number) => analysis.spec?.layers[index]?.id;
  const takes = (l: LayerInfo) =>
    l.sources.length === 1 && l.sources[0] === l.index - 1
      ? ""
      : l.sources
          .map((s) => (s < 0 ? "input" : `#${s + 1}${idOf(s) === undefined ? "" : ` ${esc(idOf(s))}`}`))
          .join(", ");
  const rows = analysis.layers.map((l) => {
    const def = analysis.spec?.layers[l.index] as Record<string, unknown> | undefined;
    const details = def
      ? Object.entries(def)
          // A graph's wiring has columns of its own.
          .filter(([k]) => k !== "kind" && !(graph && (k === "id" || k === "inputs")))
          .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
          .join(", ")
      : "";
    const id = idOf(l.index);
    const name = graph && id !== undefined ? `${esc(l.kind)} <span class="muted">${esc(id)}</span>` : esc(l.kind);
    const inputs = graph ? l.inShapes.map(shape).join(" + ") : shape(l.inShape);
    return [
      String(l.index + 1),
      name,
      esc(details),
      ...(graph ? [takes(l)] : []),
      inputs,
      shape(l.outShape),
      count(l.params),
      count(l.flops),
    ];
  });
  rows.push([
    "",
    "<b>total</b>",
    "",
    ...(graph ? [""] : []),
    "",
    shape(analysis.outShape),
    `<b>${count(analysis.totals.params)}</b>`,
    `<b>${count(analysis.totals.flops)}</b>`,
  ]);
  const head = ["#", "layer", "settings", ...(graph ? ["takes (when not the layer above)"] : [])];
  return section(
    "model",
    "Model",
    table([...head, "input", "output", "parameters", "FLOPs / sample"], rows) + (graphFigure(analysis) ?? ""),
  );
}

/** The training config, one row per setting (the optimizer, schedule and augmentation each on one line). */
export function hyperparameterSection(config: Record<string, unknown>): string {
  const rows = configSummary(config).map(([k, v]) => [esc(k), esc(v)]);
  return section("hyperparameters", "Hyperparameters", table(["field", "value"], rows, "kv"));
}

/** The loss and accuracy curves (the runner's SVG, inline). */
export function curvesSection(svg: string | null): string {
  return section("curves", "Curves", svg ?? `<p class="muted">No epoch has finished yet.</p>`);
}

/** The test confusion matrix as a heat-map table, with per-class precision and recall. */
export function confusionSection(test: TestReport | null): string {
  if (!test)
    return section("confusion", "Confusion matrix", `<p class="muted">The run has no test evaluation (test.json).</p>`);
  const head = ["actual ↓ / predicted →", ...test.classes.map(esc), "recall"];
  const rows = test.confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((n) => {
      const share = n / total;
      const color = `rgba(31,119,180,${share.toFixed(3)})`;
      return `<span style="display:block;background:${color};color:${share > 0.5 ? "#fff" : "#222"}">${n}</span>`;
    });
    return [esc(test.classes[i]), ...cells, percent(test.perClass[i]?.recall)];
  });
  rows.push(["precision", ...test.perClass.map((p) => percent(p.precision)), ""]);
  const caption = `<p>${count(test.count)} test images, accuracy ${percent(test.accuracy)}, loss ${fmt(test.loss)}.</p>`;
  return section("confusion", "Confusion matrix", caption + table(head, rows, "confusion"));
}

/** A few test images with the predicted and the true class, or why there are none. */
export function examplesSection(examples: Example[] | string): string {
  if (typeof examples === "string")
    return section("examples", "Example predictions", `<p class="muted">${esc(examples)}</p>`);
  const figures = examples.map((e) => {
    const right = e.predictedClass === e.trueClass;
    return `<figure><img src="${e.dataUrl}" alt="test image of ${esc(e.trueClass)}"><figcaption class="${right ? "ok" : "bad"}">predicted ${esc(e.predictedClass)}${e.probability === null ? "" : ` (${percent(e.probability)})`}<br>true ${esc(e.trueClass)}</figcaption></figure>`;
  });
  return section("examples", "Example predictions", `<div class="examples">${figures.join("\n")}</div>`);
}

/** The training doctor's findings, worst first, with their suggested fixes. */
export function doctorSection(findings: DoctorFinding[], explanation: string | null): string {
  const body =
    findings.length === 0
      ? `<p class="ok">The doctor found nothing wrong with this run.</p>`
      : findings
          .map(
            (f) =>
              `<div class="finding ${f.severity}"><b>${esc(f.title)}</b> <span class="muted">(${f.severity})</span><p>${esc(f.evidence)}</p><p>${esc(f.suggestion)}</p>${
                f.fix ? `<p class="muted">One-click fix: <code>${esc(JSON.stringify(f.fix))}</code></p>` : ""
              }</div>`,
          )
          .join("\n");
  const llm = explanation ? `<h3>In other words</h3><p>${esc(explanation).replace(/\n+/g, "</p><p>")}</p>` : "";
  return section("doctor", "Doctor's findings", body + llm);
}

/** Time per epoch, throughput, peak memory and where it ran. */
export function resourcesSection(r: ReportResources): string {
  const rows = r.epochs.map((e) => [
    String(e.epoch),
    fmt(e.seconds, 3),
    e.samplesPerSec === null ? "—" : count(e.samplesPerSec),
  ]);
  const measured = r.epochs.flatMap((e) => (e.samplesPerSec === null ? [] : [e.samplesPerSec]));
  const throughput = measured.length
    ? count(measured.reduce((a, b) => a + b, 0) / measured.length)
    : r.samplesPerSec
      ? `${count(r.samplesPerSec.value)} <span class="muted">(${esc(r.samplesPerSec.basis)})</span>`
      : "—";
  const wall = r.wallSeconds === null || r.wallSeconds === undefined ? "" : ` (wall ${fmt(r.wallSeconds, 3)} s)`;
  const facts = [
    ["Training time", r.trainSeconds === null ? "not recorded" : `${fmt(r.trainSeconds, 3)} s${wall}`],
    ["Mean samples/s", throughput],
    [
      "Peak memory (RSS)",
      r.peakRssBytes === null || r.peakRssBytes === undefined ? "not recorded" : bytes(r.peakRssBytes),
    ],
    ["Backend", esc(r.backend ?? "—")],
    ["CPU", esc(r.cpu)],
    ["Versions", esc(r.versions ?? "not recorded")],
  ];
  return section(
    "resources",
    "Resources",
    table(["", ""], facts, "kv") + table(["epoch", "seconds", "samples/s"], rows),
  );
}
