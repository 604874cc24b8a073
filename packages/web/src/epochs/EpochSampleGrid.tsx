import type { EpochPredictions } from "@layerlab/api";
import { useMemo } from "react";
import { ImageCanvas, toRgb } from "../data/ImageCanvas";
import type { EpochTimeline } from "./epochSource";

/** "87%": a probability as a whole percentage. */
export function percent(p: number): string {
  return `${Math.round(p * 100)}%`;
}

/**
 * The followed test images with one epoch's predictions: green when right,
 * red when wrong, with the confidence; each image is a button that picks it
 * for the feature maps.
 */
export function EpochSampleGrid(props: {
  timeline: EpochTimeline;
  predictions: EpochPredictions | null;
  picked: number;
  onPick: (k: number) => void;
}) {
  const { samples, classes } = props.timeline;
  const rgb = useMemo(() => samples.indices.map((_, k) => toRgb(samples.images, k, samples.shape)), [samples]);
  return (
    <div className="epoch-samples">
      {samples.indices.map((index, k) => {
        const label = classes[samples.labels[k]!] ?? String(samples.labels[k]);
        const p = props.predictions?.samples[k];
        const predicted = p ? (classes[p.predicted] ?? String(p.predicted)) : null;
        const verdict = !p ? "" : p.predicted === p.label ? "correct" : "wrong";
        const said = p ? `predicted ${predicted}, ${percent(p.confidence)}` : "no prediction yet";
        return (
          <button
            key={index}
            type="button"
            className={`epoch-sample ${verdict}`}
            aria-pressed={props.picked === k}
            aria-label={`Test image ${index}, a ${label}: ${said}`}
            title={`Test image ${index}, a ${label}: ${said}`}
            onClick={() => props.onPick(k)}
          >
            <ImageCanvas width={samples.shape[2]} height={samples.shape[1]} rgb={rgb[k]!} scale={2} label="" />
            <span className="epoch-sample-caption">{p ? predicted : "…"}</span>
            <span className="epoch-sample-confidence">{p ? percent(p.confidence) : ""}</span>
          </button>
        );
      })}
    </div>
  );
}
