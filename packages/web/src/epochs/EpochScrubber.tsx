import type { EpochPredictions } from "@layerlab/api";
import type { ModelSpecInput, TrainingConfigInput } from "@layerlab/spec";
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { FeatureMaps } from "../inside/FeatureMaps";
import { featureMaps } from "../inside/featureMaps";
import { ConfusionMatrix } from "../train/Results";
import type { LocalRun } from "../train/trainer";
import { EpochSampleGrid, percent } from "./EpochSampleGrid";
import { type EpochSource, type EpochTimeline, localEpochSource, serverEpochSource } from "./epochSource";
import { type EpochScrubber as Scrubber, useEpochScrubber } from "./useEpochScrubber";
import "./epochs.css";

/** How long Play shows each epoch once its predictions are there. */
const PLAY_STEP_MS = 900;

/** The Epochs section of a run's page: where its epochs are kept decides who computes them. */
export function EpochScrubber(props: {
  run: LocalRun;
  spec: ModelSpecInput;
  config: TrainingConfigInput;
  /** Whether this browser keeps the run (no server): its epochs and test images are here. */
  local: boolean;
}) {
  const { run, spec, config, local } = props;
  const localResults = local ? run.results : null;
  const source = useMemo<EpochSource | null>(() => {
    if (!local) return serverEpochSource(run.id, spec);
    return localResults ? localEpochSource(run.id, spec, config, localResults) : null;
  }, [run.id, spec, config, local, localResults]);
  if (!source)
    return (
      <section className="panel epochs" aria-labelledby="epochs-h">
        <h3 id="epochs-h">Epochs</h3>
        <p className="muted">
          Once the run has finished, scrub through its epochs here and watch its predictions change.
        </p>
      </section>
    );
  // Listed again as the run trains: each epoch may keep new weights.
  return (
    <EpochScrubberView
      source={source}
      refresh={`${run.series.epoch.epoch.length}:${run.series.end?.type}`}
      finished={run.series.end?.type === "done"}
    />
  );
}

function EpochScrubberView(props: { source: EpochSource; refresh: string; finished: boolean }) {
  const { source, refresh, finished } = props;
  const scrubber = useEpochScrubber(source, refresh);
  const { timeline } = scrubber;
  return (
    <section className="panel epochs" aria-labelledby="epochs-h" data-testid="epoch-scrubber">
      <h3 id="epochs-h">Epochs</h3>
      {timeline.state === "loading" && <p className="muted">Looking for the run's epoch checkpoints…</p>}
      {timeline.state === "failed" && <p className="problem error">{timeline.error}</p>}
      {timeline.state === "ready" &&
        (timeline.value.epochs.length === 0 ? (
          <p className="muted">
            {timeline.value.keep === 0
              ? "This run keeps no epoch checkpoints (its “Epoch checkpoints kept” is 0)."
              : finished
                ? "This run kept no epoch checkpoints: it was trained before LayerLab kept them. Train it again to scrub through its epochs."
                : "No epoch has kept its weights yet: they come at the end of each epoch."}
          </p>
        ) : (
          <ScrubberBody scrubber={scrubber} timeline={timeline.value} />
        ))}
    </section>
  );
}

/** What the kept epochs are, in words: "All 5 epochs kept." or "8 of 100 epochs kept: at most 8, …". */
function keptText(t: EpochTimeline): string {
  const n = t.epochs.length;
  if (t.keep >= t.planned) {
    return n >= t.planned
      ? `All ${t.planned} epochs kept.`
      : `${n} epoch${n === 1 ? "" : "s"} kept: every epoch the run has trained (of ${t.planned} planned).`;
  }
  return `${n} of ${t.planned} epochs kept: at most ${t.keep}, spread evenly from the first to the last.`;
}

/** "all 600 test images", or "the first 1,000 of 10,000 test images" when the count is bounded. */
function testImagesText(evaluated: number, testCount: number): string {
  const n = (v: number) => v.toLocaleString("en-US");
  return evaluated >= testCount
    ? `all ${n(testCount)} test images`
    : `the first ${n(evaluated)} of ${n(testCount)} test images`;
}

function ScrubberBody({ scrubber, timeline }: { scrubber: Scrubber; timeline: EpochTimeline }) {
  const { epoch, pick, predictions } = scrubber;
  const epochs = timeline.epochs;
  const at = epoch === null ? epochs.length - 1 : Math.max(0, epochs.indexOf(epoch));
  const [playing, setPlaying] = useState(false);
  const step = (by: number) => {
    const next = epochs[Math.min(epochs.length - 1, Math.max(0, at + by))];
    if (next !== undefined) pick(next);
  };
  // The last predictions that arrived stay on screen (dimmed) while the next epoch's are computed.
  const shown = useRef<EpochPredictions | null>(null);
  if (predictions?.state === "ready") shown.current = predictions.value;
  const view = shown.current;
  const stale = view !== null && view.epoch !== epoch;

  // Play: the next epoch once this one's predictions are showing, until the last.
  useEffect(() => {
    if (!playing || predictions?.state === "loading") return;
    if (at >= epochs.length - 1) {
      setPlaying(false);
      return;
    }
    const timer = setTimeout(() => pick(epochs[at + 1]!), PLAY_STEP_MS);
    return () => clearTimeout(timer);
  }, [playing, predictions?.state, at, epochs, pick]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    // The slider moves itself with the arrow keys; elsewhere in the section they step too.
    if ((e.target as HTMLElement).tagName === "INPUT") return;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      step(e.key === "ArrowLeft" ? -1 : 1);
    }
  };
  const play = () => {
    // From the start when at the end, as a video player does.
    if (!playing && at >= epochs.length - 1 && epochs[0] !== undefined) pick(epochs[0]);
    setPlaying(!playing);
  };
  const sampleIndex = timeline.samples.indices[scrubber.sample];
  const sampleLabel = timeline.classes[timeline.samples.labels[scrubber.sample] ?? -1];
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: arrow keys step the epochs anywhere in the section (the slider and buttons inside are the controls).
    <div className="epochs-body" onKeyDown={onKeyDown}>
      <p className="muted">
        {keptText(timeline)} Move the slider (or press ← →) to see what the model predicted after each one.
      </p>
      <div className="epoch-controls">
        <button type="button" onClick={play} aria-pressed={playing}>
          {playing ? "Pause" : "Play"}
        </button>
        <button type="button" onClick={() => step(-1)} disabled={at <= 0} aria-label="Previous epoch">
          ←
        </button>
        <input
          type="range"
          className="epoch-slider"
          aria-label="Epoch"
          aria-valuetext={`epoch ${epochs[at]} of ${timeline.planned}`}
          min={0}
          max={epochs.length - 1}
          step={1}
          value={at}
          list="epoch-ticks"
          onChange={(e) => pick(epochs[Number(e.target.value)]!)}
        />
        <datalist id="epoch-ticks">
          {epochs.map((e, i) => (
            <option key={e} value={i} label={String(e)} />
          ))}
        </datalist>
        <button type="button" onClick={() => step(1)} disabled={at >= epochs.length - 1} aria-label="Next epoch">
          →
        </button>
        <output className="epoch-now" aria-live="polite">
          Epoch {epochs[at]} of {timeline.planned}
        </output>
      </div>
      {predictions?.state === "failed" && <p className="problem error">{predictions.error}</p>}
      {view && (
        <p className={`epoch-summary${stale ? " stale" : ""}`} data-testid="epoch-summary">
          Predictions at epoch {view.epoch}
          {view.accuracy !== null && (
            <>
              {" "}
              · accuracy <strong>{percent(view.accuracy)}</strong>
            </>
          )}
          {view.loss !== null && <> · loss {view.loss.toFixed(3)}</>} on{" "}
          {testImagesText(view.evaluated, timeline.testCount)}
          {stale && <span className="muted"> — computing epoch {epochs[at]}…</span>}
        </p>
      )}
      {!view && predictions?.state === "loading" && <p className="muted">Computing epoch {epochs[at]}…</p>}
      <div className={`epoch-panels${stale ? " stale" : ""}`}>
        <figure className="epoch-panel">
          <figcaption>
            The same {timeline.samples.indices.length} test images — click one for its feature maps
          </figcaption>
          <EpochSampleGrid
            timeline={timeline}
            predictions={view}
            picked={scrubber.sample}
            onPick={scrubber.pickSample}
          />
        </figure>
        {view && (
          <figure className="epoch-panel epoch-confusion">
            <figcaption>
              Confusion matrix of {testImagesText(view.evaluated, timeline.testCount)}
              {view.evaluated < timeline.testCount ? " (a bounded share, to stay quick)" : ""}
            </figcaption>
            <ConfusionMatrix results={{ confusion: view.confusion, test: { classes: timeline.classes } }} />
          </figure>
        )}
      </div>
      <figure className="epoch-panel epoch-maps">
        <figcaption>
          Feature maps of test image {sampleIndex} (a {sampleLabel}) at epoch {epochs[at]}
        </figcaption>
        <EpochFeatureMaps scrubber={scrubber} />
      </figure>
    </div>
  );
}

function EpochFeatureMaps({ scrubber }: { scrubber: Scrubber }) {
  const { inspection } = scrubber;
  const layers = useMemo(() => (inspection?.state === "ready" ? featureMaps(inspection.value) : null), [inspection]);
  if (!inspection || inspection.state === "loading")
    return <p className="muted">Running the image through the model…</p>;
  if (inspection.state === "failed") return <p className="problem error">{inspection.error}</p>;
  if (layers && layers.length === 0)
    return (
      <p className="muted">
        No layer of this model outputs an image (a dense network has no feature maps): its predictions above are what
        changes.
      </p>
    );
  return <FeatureMaps layers={layers ?? []} />;
}
