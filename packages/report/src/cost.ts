import { formatBytes, formatMs, type LayerCost, layerTimeShares, type SpecAnalysis } from "@layerlab/spec";
import { count, esc, section, table } from "./html";

/** A measured time in ms (HTML-escaped), or an em dash for none. */
export function milliseconds(ms: number | null): string {
  return ms === null ? "—" : esc(formatMs(ms));
}

/**
 * Cost per layer: parameters, activation memory and FLOPs from the spec, and,
 * when the run measured them as it started, each layer's forward and backward
 * times with its share of a training step and the model's inference latency.
 */
export function costSection(analysis: SpecAnalysis, cost: LayerCost | null): string {
  const shares = cost ? layerTimeShares(cost) : [];
  const rows = analysis.layers.map((l) => {
    const at = cost ? cost.layers.findIndex((m) => m.index === l.index) : -1;
    const measured = cost?.layers[at];
    const share = shares[at];
    const times = cost
      ? [
          milliseconds(measured?.forwardMs ?? null),
          milliseconds(measured?.backwardMs ?? null),
          share === undefined
            ? "—"
            : `<span class="share"><span style="width:${(share * 100).toFixed(1)}%"></span></span> ${(share * 100).toFixed(1)}%`,
        ]
      : [];
    return [
      String(l.index + 1),
      esc(l.kind),
      count(l.params),
      formatBytes(l.activationBytes),
      count(l.flops),
      ...times,
    ];
  });
  rows.push([
    "",
    "<b>total</b>",
    `<b>${count(analysis.totals.params)}</b>`,
    `<b>${formatBytes(analysis.totals.activationBytes)}</b>`,
    `<b>${count(analysis.totals.flops)}</b>`,
    ...(cost
      ? [
          `<b>${milliseconds(sum(cost.layers.map((l) => l.forwardMs)))}</b>`,
          `<b>${milliseconds(sum(cost.layers.map((l) => l.backwardMs ?? 0)))}</b>`,
          "",
        ]
      : []),
  ]);
  const head = ["#", "layer", "parameters", "activations / sample", "FLOPs / sample"];
  if (cost) head.push(`forward ms`, `backward ms`, "share of a training step");
  return section("cost", "Cost per layer", `${caption(cost)}${table(head, rows, "cost")}${latency(cost)}`);
}

function caption(cost: LayerCost | null): string {
  if (!cost) {
    return `<p class="muted">Times were not measured for this run (they are measured when a report of a finished run is first made, on the machine making it); the counts come from the spec.</p>`;
  }
  return `<p>Measured on <b>${esc(cost.backend)}</b> on the machine that first made this report (${esc(cost.measuredAt)}): each layer alone, compiled, on random input of its shape, batch ${cost.batchSize}, median of ${cost.repeats} rounds. Backward is the layer's forward and backward passes compiled together, less its forward alone; a conv timed here runs without the max pool that training fuses with it.</p>`;
}

function latency(cost: LayerCost | null): string {
  if (!cost || cost.inference.length === 0) return "";
  const rows = cost.inference.map((l) => [
    String(l.batchSize),
    milliseconds(l.medianMs),
    milliseconds(l.p95Ms),
    String(l.samples),
  ]);
  return `<h3>Inference latency</h3><p class="muted">The whole model in eval mode: inputs uploaded, forward pass, probabilities read back.</p>${table(["batch", "median ms", "p95 ms", "passes"], rows)}`;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
