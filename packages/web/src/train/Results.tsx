import type { ModelSpecInput } from "@layerlab/spec";
import { type ReactNode, useMemo, useState } from "react";
import { ImageCanvas, toRgb } from "../data/ImageCanvas";
import { TestImageSaliency } from "../saliency/TestImageSaliency";
import { BrowserExports } from "./Exports";
import { PerClassTable } from "./PerClassTable";
import type { LocalRun, RunResults } from "./trainer";

function download(name: string, data: BlobPart, type: string) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** The run's per-epoch metrics as CSV (the same columns as the run folder's metrics.csv). */
export function metricsCsv(epochs: {
  epoch: number[];
  trainLoss: number[];
  trainAccuracy: number[];
  valLoss: number[];
  valAccuracy: number[];
}): string {
  const rows = ["epoch,train_loss,train_accuracy,val_loss,val_accuracy"];
  epochs.epoch.forEach((e, i) => {
    const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "" : String(v));
    rows.push(
      [
        e,
        cell(epochs.trainLoss[i]),
        cell(epochs.trainAccuracy[i]),
        cell(epochs.valLoss[i]),
        cell(epochs.valAccuracy[i]),
      ].join(","),
    );
  });
  return `${rows.join("\n")}\n`;
}

/** A confusion matrix whose cells select the images they count. */
export function ConfusionMatrix({
  results,
  onSelect,
  selected,
}: {
  /** A run's results, or just the counts and class names (a server run's test.json). */
  results: { confusion: number[][]; test: { classes: string[] } };
  onSelect?: (cell: [number, number]) => void;
  selected?: [number, number] | null;
}) {
  const classes = results.test.classes;
  const max = Math.max(1, ...results.confusion.flat());
  return (
    <table className="confusion" aria-label="Confusion matrix: rows are actual classes, columns predicted">
      <thead>
        <tr>
          <th scope="col">actual \ predicted</th>
          {classes.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {results.confusion.map((row, a) => (
          <tr key={classes[a]}>
            <th scope="row">{classes[a]}</th>
            {row.map((count, p) => (
              <td
                key={classes[p]}
                style={{ "--heat": count / max } as React.CSSProperties}
                className={`${a === p ? "diag" : "off"}${selected && selected[0] === a && selected[1] === p ? " selected" : ""}`}
              >
                <button
                  type="button"
                  onClick={() => onSelect?.([a, p])}
                  aria-label={`${count} images of ${classes[a]} predicted as ${classes[p]}`}
                >
                  {count}
                </button>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Test images with their predictions, green when right and red when wrong. */
export function PredictionGrid({
  results,
  indices,
  limit = 48,
  onPick,
  picked,
}: {
  results: RunResults;
  indices: number[];
  limit?: number;
  /** Makes each image a button that picks it (to show what the model looked at in it). */
  onPick?: (index: number) => void;
  picked?: number | null;
}) {
  const { test } = results;
  return (
    <div className="pred-grid">
      {indices.slice(0, limit).map((i) => {
        const predicted = results.predictions[i]!;
        const actual = test.labels[i]!;
        const ok = predicted === actual;
        const image = (
          <ImageCanvas
            width={test.shape[2]}
            height={test.shape[1]}
            rgb={toRgb(test.images, i, test.shape)}
            scale={2}
            label={`test image ${i}`}
          />
        );
        return (
          <figure key={i} className={`${ok ? "correct" : "wrong"}${picked === i ? " picked" : ""}`}>
            {onPick ? (
              <button
                type="button"
                className="pred-pick"
                aria-pressed={picked === i}
                aria-label={`Show what the model looked at in test image ${i}`}
                onClick={() => onPick(i)}
              >
                {image}
              </button>
            ) : (
              image
            )}
            <figcaption>
              {ok ? test.classes[predicted] : `${test.classes[predicted]} (is ${test.classes[actual]})`}
            </figcaption>
          </figure>
        );
      })}
      {indices.length === 0 && <p className="muted">No images.</p>}
    </div>
  );
}

/** Builds the run report in the page and downloads it; the report's code loads on the first click. */
function BrowserReportButton({ run }: { run: LocalRun }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const onClick = async () => {
    setBusy(true);
    setError(null);
    try {
      const { downloadBrowserReport } = await import("./browserReport");
      downloadBrowserReport(run);
    } catch (err) {
      setError(`The report could not be built: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={onClick} disabled={busy} data-testid="download-report">
        Download report
      </button>
      {error && <span className="problem error">{error}</span>}
    </>
  );
}

/** Results of a finished run: metrics, confusion matrix, galleries, per-class table, downloads. */
export function Results({
  results,
  seconds,
  epochs,
  name,
  spec,
  downloads,
  run,
  explain,
}: {
  results: RunResults;
  seconds: number | null;
  epochs: Parameters<typeof metricsCsv>[0];
  name: string;
  /** The run's model spec; with the weights it lets the page build exports. */
  spec?: ModelSpecInput;
  /** Download links that replace the page-made ones (a server run's artifacts). */
  downloads?: ReactNode;
  /** The browser run these results are of; with it the page builds the run report. */
  run?: LocalRun;
  /** The run whose model explains a clicked test image (a saliency map); without it images are not clickable. */
  explain?: LocalRun;
}) {
  const [cell, setCell] = useState<[number, number] | null>(null);
  const [picked, setPicked] = useState<number | null>(null);
  const pick = explain && results.test.images.length > 0 ? setPicked : undefined;
  const n = results.test.count;
  const all = useMemo(() => Array.from({ length: n }, (_, i) => i), [n]);
  const wrong = useMemo(() => all.filter((i) => results.predictions[i] !== results.test.labels[i]), [all, results]);
  const inCell = cell
    ? all.filter((i) => results.test.labels[i] === cell[0] && results.predictions[i] === cell[1])
    : null;
  return (
    <section className="results" aria-label="Results" data-testid="results">
      <div className="stats big">
        <div>
          <span>Test accuracy</span>
          <strong data-testid="test-accuracy">{(results.accuracy * 100).toFixed(2)}%</strong>
        </div>
        <div>
          <span>Test loss</span>
          <strong>{results.loss.toFixed(4)}</strong>
        </div>
        <div>
          <span>Training time</span>
          <strong>{seconds !== null ? `${seconds.toFixed(1)} s` : "–"}</strong>
        </div>
      </div>
      <div className="results-grid">
        <div>
          <h3>Confusion matrix</h3>
          <ConfusionMatrix results={results} onSelect={setCell} selected={cell} />
          <h3>Per class</h3>
          <PerClassTable rows={results.perClass.map((c, i) => ({ ...c, name: results.test.classes[i]! }))} />
          {downloads ?? (
            <div className="toolbar">
              {results.weights && (
                <button
                  type="button"
                  onClick={() =>
                    download(
                      `${name}.safetensors`,
                      results.weights!.slice().buffer as ArrayBuffer,
                      "application/octet-stream",
                    )
                  }
                >
                  Download weights
                </button>
              )}
              <button type="button" onClick={() => download(`${name}-metrics.csv`, metricsCsv(epochs), "text/csv")}>
                Download metrics.csv
              </button>
              {run && <BrowserReportButton run={run} />}
            </div>
          )}
          {results.weights && spec && (
            <div className="toolbar">
              <BrowserExports spec={spec} weights={results.weights} normalization={results.normalization} />
            </div>
          )}
        </div>
        <div>
          {explain && picked !== null && picked < n && (
            <TestImageSaliency run={explain} results={results} index={picked} onClose={() => setPicked(null)} />
          )}
          {pick && picked === null && (
            <p className="muted">Click a test image to see which of its pixels drove the prediction.</p>
          )}
          {inCell && cell ? (
            <>
              <h3>
                {results.test.classes[cell[0]]} predicted as {results.test.classes[cell[1]]} ({inCell.length}){" "}
                <button type="button" className="ghost" onClick={() => setCell(null)}>
                  show all
                </button>
              </h3>
              <PredictionGrid results={results} indices={inCell} onPick={pick} picked={picked} />
            </>
          ) : (
            <>
              <h3>Misclassified ({wrong.length})</h3>
              <PredictionGrid results={results} indices={wrong} limit={24} onPick={pick} picked={picked} />
              <h3>Test images</h3>
              <PredictionGrid results={results} indices={all} limit={32} onPick={pick} picked={picked} />
            </>
          )}
        </div>
      </div>
    </section>
  );
}
