import type { LayerGradientStats, TrainEvent } from "@layerlab/spec";

/** Columns of the live charts, appended to as events arrive (x first, then one array per series). */
export interface RunSeries {
  /** Per batch: global step, loss, accuracy, learning rate. */
  batch: { step: number[]; loss: number[]; accuracy: number[]; learningRate: number[] };
  /** Per epoch: epoch, train and validation loss and accuracy (NaN where there is no validation), and its time, throughput and learning rate. */
  epoch: {
    epoch: number[];
    trainLoss: number[];
    valLoss: number[];
    trainAccuracy: number[];
    valAccuracy: number[];
    seconds: number[];
    samplesPerSec: number[];
    learningRate: number[];
  };
  /** Per `gradients` event: global step, and per layer (by spec index) its gradient norm and update ratio (NaN where it overflowed). */
  gradients: GradientSeries;
  /** Highest `seq` seen, -1 before any: events at or below it are replays and are skipped. */
  lastSeq: number;
  start: (TrainEvent & { type: "start" }) | null;
  lastBatch: (TrainEvent & { type: "batch" }) | null;
  /** The dead-unit shares of the latest epoch that measured them (the doctor reads them while training). */
  deadUnits: { layer: number; fraction: number }[] | null;
  end: TrainEvent | null;
  logs: { level: string; message: string; time: number }[];
  startedAt: number | null;
}

/** Gradient statistics over time, one column per layer with parameters. */
export interface GradientSeries {
  step: number[];
  layers: Map<number, { kind: string; gradNorm: number[]; updateRatio: number[] }>;
  /** The latest event's layers, as the doctor takes them (kept short: the doctor looks at recent ones). */
  recent: { layers: LayerGradientStats[] }[];
}

/** How many recent `gradients` events the doctor gets. */
const RECENT_GRADIENTS = 200;

/** An empty series set. */
export function emptySeries(): RunSeries {
  return {
    batch: { step: [], loss: [], accuracy: [], learningRate: [] },
    epoch: {
      epoch: [],
      trainLoss: [],
      valLoss: [],
      trainAccuracy: [],
      valAccuracy: [],
      seconds: [],
      samplesPerSec: [],
      learningRate: [],
    },
    gradients: { step: [], layers: new Map(), recent: [] },
    lastSeq: -1,
    start: null,
    lastBatch: null,
    deadUnits: null,
    end: null,
    logs: [],
    startedAt: null,
  };
}

/**
 * Folds one event into the series, in place (the arrays grow to 50k+ points;
 * copying them per event would be quadratic). Returns false for a replayed
 * event (seq already seen), so a reattached stream never double-counts.
 */
export function appendEvent(s: RunSeries, e: TrainEvent): boolean {
  if (e.seq <= s.lastSeq) return false;
  s.lastSeq = e.seq;
  switch (e.type) {
    case "start":
      // A resumed run starts again after its earlier end: it is running, and its first start stays its start time.
      s.start = e;
      s.end = null;
      s.startedAt ??= e.time;
      s.logs.push({
        level: "info",
        message: `training on ${e.backend}: ${e.trainSamples} training and ${e.valSamples} validation samples, ${e.paramCount.toLocaleString("en-US")} parameters, ${e.epochs} × ${e.stepsPerEpoch} steps`,
        time: e.time,
      });
      break;
    case "batch":
      s.batch.step.push(e.step);
      s.batch.loss.push(e.loss);
      s.batch.accuracy.push(e.accuracy);
      s.batch.learningRate.push(e.learningRate);
      s.lastBatch = e;
      break;
    case "epoch":
      s.epoch.epoch.push(e.epoch);
      s.epoch.trainLoss.push(e.trainLoss);
      s.epoch.valLoss.push(e.valLoss ?? Number.NaN);
      s.epoch.trainAccuracy.push(e.trainAccuracy);
      s.epoch.valAccuracy.push(e.valAccuracy ?? Number.NaN);
      s.epoch.seconds.push(e.seconds);
      s.epoch.samplesPerSec.push(e.samplesPerSec);
      s.epoch.learningRate.push(e.learningRate ?? Number.NaN);
      if (e.deadUnits) s.deadUnits = e.deadUnits;
      break;
    case "gradients": {
      const g = s.gradients;
      const at = g.step.length;
      g.step.push(e.step);
      for (const l of e.layers) {
        let col = g.layers.get(l.layer);
        if (!col) {
          // A layer first seen late gets NaN for the steps before, so columns stay aligned with `step`.
          col = { kind: l.kind, gradNorm: new Array(at).fill(Number.NaN), updateRatio: new Array(at).fill(Number.NaN) };
          g.layers.set(l.layer, col);
        }
        col.gradNorm.push(l.gradNorm ?? Number.NaN);
        col.updateRatio.push(l.updateRatio ?? Number.NaN);
      }
      for (const col of g.layers.values()) {
        if (col.gradNorm.length < at + 1) {
          col.gradNorm.push(Number.NaN);
          col.updateRatio.push(Number.NaN);
        }
      }
      g.recent.push({ layers: e.layers });
      if (g.recent.length > RECENT_GRADIENTS) g.recent.splice(0, g.recent.length - RECENT_GRADIENTS);
      break;
    }
    case "log":
      s.logs.push({ level: e.level, message: e.message, time: e.time });
      break;
    case "checkpoint":
      s.logs.push({ level: "info", message: `checkpoint ${e.kind} after epoch ${e.epoch}: ${e.name}`, time: e.time });
      break;
    case "done":
      s.end = e;
      s.logs.push({ level: "info", message: `done in ${e.seconds.toFixed(1)} s`, time: e.time });
      break;
    case "aborted":
      s.end = e;
      s.logs.push({ level: "warn", message: `aborted at step ${e.step}: ${e.reason}`, time: e.time });
      break;
    case "error":
      s.end = e;
      s.logs.push({ level: "error", message: e.message, time: e.time });
      break;
    case "diverged":
      s.end = e;
      s.logs.push({ level: "error", message: e.message, time: e.time });
      break;
  }
  return true;
}

/** Progress of the run and of the current epoch in [0, 1], the ETA in seconds and the last throughput. */
export function progressOf(
  s: RunSeries,
  now: number,
): { run: number; epoch: number; etaSeconds: number | null; samplesPerSec: number | null } {
  const start = s.start;
  const last = s.lastBatch;
  if (!start || !last) return { run: s.end?.type === "done" ? 1 : 0, epoch: 0, etaSeconds: null, samplesPerSec: null };
  const total = start.epochs * start.stepsPerEpoch;
  const done = s.end?.type === "done";
  const run = done ? 1 : Math.min(1, last.step / Math.max(1, total));
  const inEpoch = last.step - (last.epoch - 1) * start.stepsPerEpoch;
  const epoch = done ? 1 : Math.min(1, inEpoch / Math.max(1, start.stepsPerEpoch));
  // The pace of this session (a resumed run's start event says how many epochs came before it).
  const elapsed = (now - start.time) / 1000;
  const firstStep = (start.resumedFromEpoch ?? 0) * start.stepsPerEpoch;
  const stepsNow = last.step - firstStep;
  const etaSeconds = stepsNow > 0 && !done ? (elapsed * (total - last.step)) / stepsNow : null;
  return { run, epoch, etaSeconds, samplesPerSec: last.samplesPerSec };
}

/**
 * Min/max decimation for drawing: keeps, per bucket of consecutive points,
 * the first, the smallest and the largest, so spikes survive and a 50k-point
 * series draws as ~`buckets·3` points.
 */
export function decimate(x: readonly number[], y: readonly number[], buckets: number): [number[], number[]] {
  const n = x.length;
  if (n <= buckets * 3) return [x.slice(), y.slice()];
  const outX: number[] = [];
  const outY: number[] = [];
  const per = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * per);
    const to = Math.min(n, Math.floor((b + 1) * per));
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (y[i]! < y[lo]!) lo = i;
      if (y[i]! > y[hi]!) hi = i;
    }
    for (const i of [...new Set([from, lo, hi])].sort((a, b2) => a - b2)) {
      outX.push(x[i]!);
      outY.push(y[i]!);
    }
  }
  // The last point always shows, so the line ends where training is.
  if (outX[outX.length - 1] !== x[n - 1]) {
    outX.push(x[n - 1]!);
    outY.push(y[n - 1]!);
  }
  return [outX, outY];
}
