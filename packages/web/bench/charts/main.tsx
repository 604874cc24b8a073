import type { TrainEvent } from "@layerlab/spec";
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { appendEvent, emptySeries } from "../../src/charts/series";
import { initialStudio } from "../../src/state/studio";
import { Dashboard } from "../../src/train/Dashboard";
import type { LocalRun } from "../../src/train/trainer";
import "../../src/styles.css";

/*
 * The real training dashboard fed with synthetic events, for the 50k-point
 * benchmark (bench/charts-50k.ts): `window.appendBatches(n)` appends n batch
 * events (plus an epoch event every 1,000), one React update per call, as the
 * trainer does per worker message.
 */
const TOTAL_STEPS = 50_000;
const run: LocalRun = {
  id: "bench",
  name: "bench run",
  where: "browser",
  studio: initialStudio(),
  series: emptySeries(),
  results: null,
  version: 0,
};
let seq = 0;
let step = 0;
let bump: () => void = () => undefined;

function push(event: Omit<TrainEvent, "seq" | "time">) {
  appendEvent(run.series, { ...event, seq: seq++, time: Date.now() } as TrainEvent);
}

push({
  type: "start",
  runId: "bench",
  backend: "wasm",
  epochs: 50,
  stepsPerEpoch: 1000,
  trainSamples: 64_000,
  valSamples: 6_400,
  paramCount: 109_386,
} as never);

(window as unknown as { appendBatches: (n: number) => number }).appendBatches = (n: number) => {
  for (let i = 0; i < n && step < TOTAL_STEPS; i++) {
    step++;
    const loss = 2.3 * Math.exp(-step / 8000) + 0.05 + 0.05 * Math.sin(step * 0.37);
    push({
      type: "batch",
      epoch: Math.ceil(step / 1000),
      step,
      loss,
      accuracy: 1 - loss / 2.5,
      learningRate: 1e-3,
      samplesPerSec: 6600,
    } as never);
    if (step % 1000 === 0) {
      push({
        type: "epoch",
        epoch: step / 1000,
        trainLoss: loss,
        trainAccuracy: 1 - loss / 2.5,
        valLoss: loss * 1.1,
        valAccuracy: 1 - loss / 2.3,
        learningRate: 1e-3,
        seconds: 1,
      } as never);
    }
  }
  bump();
  return step;
};

function Bench() {
  const [, setVersion] = useState(0);
  useEffect(() => {
    bump = () => {
      run.version++;
      setVersion(run.version);
    };
  }, []);
  return <Dashboard run={{ ...run }} />;
}

createRoot(document.getElementById("root")!).render(<Bench />);
