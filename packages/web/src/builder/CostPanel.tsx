import {
  formatBytes,
  formatCount,
  formatMs,
  type LayerCost,
  layerLabel,
  layerTimeShares,
  type ModelSpecInput,
  type SpecAnalysis,
} from "@layerlab/spec";
import { useState } from "react";
import { engineLabel, type RunEngine } from "../train/trainer";
import { useCostMeasurement } from "./useCostMeasurement";
import "./cost-panel.css";

/**
 * The builder's "Cost per layer" view: parameters, activation memory and
 * FLOPs of every layer from the spec (they update as the model changes), and,
 * on request, each layer's forward and backward time and the model's
 * inference latency measured on this device in the engine's worker.
 */
export function CostPanel({
  analysis,
  spec,
  batchSize,
}: {
  analysis: SpecAnalysis;
  spec: ModelSpecInput;
  batchSize: number;
}) {
  const [open, setOpen] = useState(false);
  const measurement = useCostMeasurement(spec, analysis);
  const cost = measurement.current;
  const timeShares = cost ? layerTimeShares(cost) : null;
  const totalFlops = analysis.totals.flops;
  return (
    <section className="panel wide cost-panel" aria-labelledby="cost-h">
      <div className="toolbar">
        <h2 id="cost-h">Cost per layer</h2>
        <button type="button" aria-expanded={open} aria-controls="cost-body" onClick={() => setOpen(!open)}>
          {open ? "Hide" : "Show"}
        </button>
        <span className="muted">
          {formatCount(analysis.totals.params)} parameters · {formatBytes(analysis.totals.activationBytes)} of
          activations per sample
        </span>
      </div>
      {open && (
        <div id="cost-body">
          <div className="toolbar">
            <button
              type="button"
              className="primary"
              onClick={() => measurement.measure(batchSize)}
              disabled={!analysis.ok || measurement.progress !== null}
              title={analysis.ok ? undefined : "Fix the model's errors first"}
            >
              Measure on this device
            </button>
            {measurement.progress && (
              <span role="status">
                Measuring… {measurement.progress.done} of {measurement.progress.total}{" "}
                <progress value={measurement.progress.done} max={measurement.progress.total} />
              </span>
            )}
            {measurement.error && (
              <span className="bad" role="alert">
                {measurement.error}
              </span>
            )}
            {measurement.stale && (
              <span className="muted">The model changed since it was measured: measure again.</span>
            )}
          </div>
          {cost && measurement.engine && <MethodNote cost={cost} engine={measurement.engine} />}
          <div className="table-scroll">
            <table className="cost-table">
              <caption className="muted">
                Per sample from the spec; times per batch of {cost?.batchSize ?? batchSize}, each layer alone on random
                input of its shape.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Layer</th>
                  <ColumnHead wide="Parameters" narrow="Params" />
                  <ColumnHead wide="Activations" narrow="Act." />
                  <th scope="col" className="flops">
                    FLOPs
                  </th>
                  <ColumnHead wide="Forward ms" narrow="Fwd ms" />
                  <ColumnHead wide="Backward ms" narrow="Bwd ms" />
                  <ColumnHead
                    className="share"
                    wide={timeShares ? "Share of a training step" : "Share of FLOPs"}
                    narrow="Share"
                  />
                </tr>
              </thead>
              <tbody>
                {analysis.layers.map((l) => {
                  const measured = cost?.layers.find((m) => m.index === l.index);
                  const share = timeShares
                    ? (timeShares[cost!.layers.indexOf(measured!)] ?? 0)
                    : totalFlops > 0
                      ? l.flops / totalFlops
                      : 0;
                  return (
                    <tr key={l.index}>
                      <th scope="row">{layerLabel(l.kind, l.index)}</th>
                      <td>{formatCount(l.params)}</td>
                      <td>{formatBytes(l.activationBytes)}</td>
                      <td className="flops">{formatCount(l.flops)}</td>
                      <td>{measured ? formatMs(measured.forwardMs) : "—"}</td>
                      <td title={measured && measured.backwardMs === null ? noBackward : undefined}>
                        {measured?.backwardMs ? formatMs(measured.backwardMs) : "—"}
                      </td>
                      <td className="share">
                        <span className="bar" aria-hidden="true">
                          <span className="bar-fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />
                        </span>
                        <span className="share-value">{(share * 100).toFixed(0)}%</span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {cost && <Latency cost={cost} />}
        </div>
      )}
    </section>
  );
}

/** A column heading with a shorter label for phones (CSS shows one of the two). */
function ColumnHead({ wide, narrow, className }: { wide: string; narrow: string; className?: string }) {
  return (
    <th scope="col" className={className}>
      <span className="wide-label">{wide}</span>
      <span className="narrow-label">{narrow}</span>
    </th>
  );
}

const noBackward =
  "No backward pass: the layer has no parameters and its input is the data, whose gradient training never needs.";

/** How the times were taken, so nobody reads them as a training step's split. */
function MethodNote({ cost, engine }: { cost: LayerCost; engine: RunEngine }) {
  return (
    <p className="muted cost-note">
      Measured on <strong>{engineLabel(engine)}</strong>: each layer alone, compiled, on random input of its shape,
      batch {cost.batchSize}, median of {cost.repeats} rounds. Backward is the layer's forward and backward compiled
      together, less its forward alone. Training fuses some layers (a conv and the max pool after it), so a whole step
      can take less than the sum.
    </p>
  );
}

/** The whole model's inference latency per batch size. */
function Latency({ cost }: { cost: LayerCost }) {
  return (
    <p className="cost-latency" data-testid="inference-latency">
      <strong>Inference latency</strong> (upload, forward, probabilities read back):{" "}
      {cost.inference.map((l, i) => (
        <span key={l.batchSize}>
          {i > 0 && " · "}batch {l.batchSize}: median {formatMs(l.medianMs)} ms, p95 {formatMs(l.p95Ms)} ms
        </span>
      ))}
    </p>
  );
}
