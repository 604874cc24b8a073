import type { LayerCost, ModelSpecInput, SpecAnalysis } from "@layerlab/spec";
import { useEffect, useRef, useState } from "react";
import { type RunEngine, trainer } from "../train/trainer";

/** A finished measurement, with the model it was taken of. */
interface Measured {
  cost: LayerCost;
  engine: RunEngine;
  /** The parsed spec as JSON: the measurement belongs to this model only. */
  model: string;
}

/** What the Cost view shows of a measurement: the numbers of the current model, progress, or what went wrong. */
export interface CostMeasurement {
  /** The measurement of the model as it is now, or null (none yet, or the model has changed since). */
  current: LayerCost | null;
  /** Where `current` ran. */
  engine: RunEngine | null;
  /** True when there is a measurement, but of an earlier version of the model. */
  stale: boolean;
  /** How far a measurement under way has got; null when none is. */
  progress: { done: number; total: number } | null;
  error: string | null;
  /** Starts measuring the current model at `batchSize` in the engine's worker. */
  measure(batchSize: number): void;
}

/** Measures `spec`'s per-layer cost on request, in the worker, keeping the page responsive. */
export function useCostMeasurement(spec: ModelSpecInput, analysis: SpecAnalysis): CostMeasurement {
  const [measured, setMeasured] = useState<Measured | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const model = analysis.spec ? JSON.stringify(analysis.spec) : null;
  const isCurrent = measured !== null && measured.model === model;
  return {
    current: isCurrent ? measured.cost : null,
    engine: isCurrent ? measured.engine : null,
    stale: measured !== null && !isCurrent,
    progress,
    error,
    measure(batchSize) {
      if (!model) return;
      setError(null);
      setProgress({ done: 0, total: analysis.layers.length + 2 });
      trainer
        .measureCost(spec, batchSize, (done, total) => mounted.current && setProgress({ done, total }))
        .then((answer) => {
          if (!mounted.current) return;
          setProgress(null);
          if (answer.cost && answer.engine) setMeasured({ cost: answer.cost, engine: answer.engine, model });
          else setError(`Could not measure: ${answer.error ?? "the engine gave no answer"}`);
        });
    },
  };
}
