import { lazy, type ReactNode, Suspense, useMemo, useState } from "react";
import type { Inspection } from "../train/protocol";
import { FeatureMaps } from "./FeatureMaps";
import { featureMaps } from "./featureMaps";
import { buildScene, denseColumns } from "./network3d";

// three.js (~150 KB gzipped) loads only when the 3D view is first shown.
const Network3D = lazy(() => import("./Network3D"));

/** Connections shown per neuron unless the user picks another number. */
const DEFAULT_TOP_N = 6;

/** "Look inside" the model on the drawing page: the dense net in 3D or the conv layers' feature maps, for the current drawing. */
export function InsidePanel(props: {
  modelName: string;
  inspection: Inspection | null;
  error: string | null;
  /** Shown under the heading (e.g. what the inspected model predicts). */
  children?: ReactNode;
}) {
  const { inspection } = props;
  const [topN, setTopN] = useState(DEFAULT_TOP_N);
  const [rotate, setRotate] = useState(false);
  const columns = useMemo(() => (inspection ? denseColumns(inspection) : null), [inspection]);
  const scene = useMemo(
    () => (inspection && Array.isArray(columns) ? buildScene(columns, inspection.weights, topN) : null),
    [inspection, columns, topN],
  );
  const maps = useMemo(() => (inspection ? featureMaps(inspection) : []), [inspection]);
  return (
    <section className="panel inside-panel" data-testid="inside-panel">
      <h2>Inside {props.modelName}</h2>
      {props.children}
      {props.error && <p className="muted">{props.error}</p>}
      {!inspection && !props.error && <p className="muted">Draw something to see what each layer does with it.</p>}
      {scene && (
        <>
          <div className="toolbar">
            <label htmlFor="top-n">Connections per neuron</label>
            <input
              id="top-n"
              type="range"
              min={1}
              max={32}
              value={topN}
              onChange={(e) => setTopN(Number(e.target.value))}
            />
            <output htmlFor="top-n">{topN}</output>
            <label className="chip toggle">
              <input type="checkbox" checked={rotate} onChange={(e) => setRotate(e.target.checked)} /> Rotate
            </label>
          </div>
          <p className="muted legend">
            <span className="swatch pos" /> positive <span className="swatch neg" /> negative — brighter is stronger.
            Lines: the {topN} inputs that push each neuron most for this drawing. Drag to orbit, scroll to zoom,
            right-drag to pan.
          </p>
          <Suspense fallback={<p className="muted">Loading the 3D view…</p>}>
            <Network3D scene={scene} rotate={rotate} />
          </Suspense>
        </>
      )}
      {inspection && typeof columns === "string" && maps.length === 0 && <p className="muted">{columns}.</p>}
      {maps.length > 0 && <FeatureMaps layers={maps} />}
    </section>
  );
}
