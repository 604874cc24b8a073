import { lazy, type ReactNode, Suspense, useMemo, useState } from "react";
import type { Inspection } from "../train/protocol";
import { FeatureMaps } from "./FeatureMaps";
import { featureMaps } from "./featureMaps";
import { MAX_TOP_N, networkBlocks } from "./network3d";
import "./inside.css";

// three.js (~150 KB gzipped) loads only when the 3D view is first shown.
const Network3D = lazy(() => import("./Network3D"));

/** Connections shown per neuron unless the user picks another number: few enough to follow single lines. */
const DEFAULT_TOP_N = 3;
/** Feature maps shown per conv or pooling layer in 3D; the grid below shows them all. */
const MAX_CHANNELS_SHOWN = 8;
/** A stable empty list, so that a model without class names does not redraw the view on every render. */
const NO_CLASSES: readonly string[] = [];

/** The diverging colour scale of the 3D view, as a key under it. */
function Legend() {
  return (
    <div className="n3d-legend" role="img" aria-label="Colour key: blue is negative, grey is zero, red is positive">
      <span>negative</span>
      <span className="n3d-legend-bar" />
      <span>positive</span>
      <span className="muted">
        — stronger colour is larger; each layer (each feature map) is scaled to its own largest value.
      </span>
    </div>
  );
}

/** "Look inside" the model on the drawing page: the net in 3D and every image layer's feature maps, for the current drawing. */
export function InsidePanel(props: {
  modelName: string;
  /** Class names of the model's outputs, for the predicted-class label. */
  classes?: readonly string[];
  inspection: Inspection | null;
  error: string | null;
  /** Shown under the heading (e.g. what the inspected model predicts). */
  children?: ReactNode;
}) {
  const { inspection } = props;
  const [topN, setTopN] = useState(DEFAULT_TOP_N);
  const [rotate, setRotate] = useState(false);
  const blocks = useMemo(() => (inspection ? networkBlocks(inspection) : []), [inspection]);
  const maps = useMemo(() => (inspection ? featureMaps(inspection) : []), [inspection]);
  const classes = props.classes ?? NO_CLASSES;
  return (
    <section className="panel inside-panel" data-testid="inside-panel">
      <h2>Inside {props.modelName}</h2>
      {props.children}
      {props.error && <p className="muted">{props.error}</p>}
      {!inspection && !props.error && <p className="muted">Draw something to see what each layer does with it.</p>}
      {inspection && blocks.length > 1 && (
        <>
          <div className="toolbar">
            <label htmlFor="top-n">Strongest inputs per neuron</label>
            <input
              id="top-n"
              type="range"
              min={1}
              max={MAX_TOP_N}
              value={topN}
              onChange={(e) => setTopN(Number(e.target.value))}
            />
            <output htmlFor="top-n">{topN}</output>
            <label className="chip toggle">
              <input type="checkbox" checked={rotate} onChange={(e) => setRotate(e.target.checked)} /> Rotate
            </label>
          </div>
          <Legend />
          <Suspense fallback={<p className="muted">Loading the 3D view…</p>}>
            <Network3D
              blocks={blocks}
              weights={inspection.weights}
              classes={classes}
              topN={topN}
              maxChannels={MAX_CHANNELS_SHOWN}
              rotate={rotate}
            />
          </Suspense>
        </>
      )}
      {maps.length > 0 && <FeatureMaps layers={maps} />}
    </section>
  );
}
