import type { SaliencyMap } from "@layerlab/engine";
import { SALIENCY_METHOD_LABELS, type SaliencyMethod } from "@layerlab/spec";
import { useEffect, useMemo, useState } from "react";
import type { LocalRun, RunResults } from "../train/trainer";
import { trainer } from "../train/trainer";
import { gradCamReasonOf } from "./availability";
import { loadRunModel } from "./runModel";
import { SaliencyControls } from "./SaliencyControls";
import { SaliencyImage } from "./SaliencyImage";
import "./saliency.css";

/** Side in CSS pixels the test image is shown at (28×28 images at 6×). */
const IMAGE_SIDE = 168;

/** Test image `index` of `test` as the model's raw input: `[C, H, W]` in [0, 1]. */
function testPixels(test: RunResults["test"], index: number): Float32Array {
  const size = test.shape.reduce((a, b) => a * b, 1);
  return Float32Array.from(test.images.subarray(index * size, (index + 1) * size), (v) => v / 255);
}

/**
 * One test image of a finished run and what its model looked at in it: the
 * image, the image under the heat map of the chosen method and class (the
 * prediction by default), and a line saying what is shown.
 */
export function TestImageSaliency({
  run,
  results,
  index,
  onClose,
}: {
  run: LocalRun;
  results: RunResults;
  index: number;
  onClose: () => void;
}) {
  const { test } = results;
  const classes = test.classes;
  const [, height = 1, width = 1] = test.shape;
  const pixels = useMemo(() => testPixels(test, index), [test, index]);
  const gradCamReason = useMemo(() => gradCamReasonOf(run.studio.spec), [run.studio.spec]);
  const [chosenMethod, setMethod] = useState<SaliencyMethod>("gradientTimesInput");
  const method = chosenMethod === "gradCam" && gradCamReason ? "gradientTimesInput" : chosenMethod;
  const [classIndex, setClassIndex] = useState<number | null>(null);
  const [shown, setShown] = useState<{ map: SaliencyMap | null; error: string | null } | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed when the image, the method or the class changes, not on every event of the run.
  useEffect(() => {
    let current = true;
    setShown(null);
    (async () => {
      await loadRunModel(run);
      const request = classIndex === null ? { method } : { method, classIndex };
      const got = await trainer.saliency(run.id, pixels, request);
      return { map: got.saliency, error: got.error ?? null };
    })().then(
      (out) => current && setShown(out),
      (err: unknown) => current && setShown({ map: null, error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      current = false;
    };
  }, [run.id, pixels, method, classIndex]);
  const actual = test.labels[index]!;
  const predicted = results.predictions[index]!;
  const name = (i: number) => classes[i] ?? `class ${i}`;
  const map = shown?.map ?? null;
  let status: string;
  if (!shown) status = "Computing the map…";
  else if (shown.error) status = `No map: ${shown.error}`;
  else if (!map) status = "No map.";
  else if (map.peak === 0) status = `Nothing in this image raised the score of ${name(map.classIndex)}.`;
  else {
    const p = `${(map.probabilities[map.classIndex]! * 100).toFixed(1)}%`;
    status = `What drove ${name(map.classIndex)} (${p}), by ${SALIENCY_METHOD_LABELS[map.method]}: brighter counted more.`;
  }
  const scale = Math.max(1, Math.round(IMAGE_SIDE / Math.max(width, height)));
  return (
    <section className="test-saliency" data-testid="test-saliency" aria-label={`Test image ${index} explained`}>
      <div className="toolbar">
        <h3>
          Test image {index}: predicted {name(predicted)}
          {predicted !== actual ? `, is ${name(actual)}` : ""}
        </h3>
        <span className="spacer" />
        <button type="button" className="ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <SaliencyControls
        method={method}
        onMethod={setMethod}
        classIndex={classIndex}
        onClass={setClassIndex}
        classes={classes}
        predicted={map?.predicted ?? predicted}
        gradCamReason={gradCamReason}
      />
      <div className="test-saliency-images">
        <figure>
          <SaliencyImage
            input={pixels}
            width={width}
            height={height}
            values={null}
            scale={scale}
            label={`Test image ${index}`}
          />
          <figcaption className="muted">the image</figcaption>
        </figure>
        <figure>
          <SaliencyImage
            input={pixels}
            width={width}
            height={height}
            values={map?.values ?? null}
            scale={scale}
            label={`Test image ${index} with the heat map of what drove ${map ? name(map.classIndex) : "the prediction"}`}
            testId="test-saliency-map"
          />
          <figcaption className="muted">what it looked at</figcaption>
        </figure>
      </div>
      <p className="saliency-status" data-testid="test-saliency-status" data-ready={map ? "true" : "false"}>
        {status}
      </p>
    </section>
  );
}
