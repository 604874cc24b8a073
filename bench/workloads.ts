/**
 * The two benchmark workloads, written out in full so that every runtime
 * (Node, Chromium, PyTorch via bench/pytorch_bench.py) trains the same network
 * on the same shapes. Kept independent of the spec templates on purpose: a
 * template change must not silently change what the benchmark measures.
 */
import { createRng, type Dataset } from "@layerlab/data-core";
import type { ModelSpecInput, TrainingConfigInput } from "@layerlab/spec";

/** Workload names as they appear in the JSON output. */
export const WORKLOAD_NAMES = ["mnist-mlp", "mnist-cnn"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** A model and training config to measure. */
export interface Workload {
  name: WorkloadName;
  spec: ModelSpecInput;
  config: TrainingConfigInput;
}

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** Batch size of every workload, as the issue fixes it. */
export const BATCH_SIZE = 64;

/** Training config shared by both workloads: Adam, lr 1e-3, batch 64, no extras. */
export const BENCH_CONFIG: TrainingConfigInput = {
  optimizer: "adam",
  learningRate: 1e-3,
  batchSize: BATCH_SIZE,
};

/** MLP 784-128-64-10 (PyTorch: Flatten, Linear(784,128), ReLU, Linear(128,64), ReLU, Linear(64,10)). */
export const MNIST_MLP: Workload = {
  name: "mnist-mlp",
  spec: {
    format: "layerlab.model/1",
    name: "bench-mnist-mlp",
    input: { shape: [1, 28, 28] },
    layers: [
      { kind: "flatten" },
      { kind: "dense", units: 128, activation: "relu" },
      { kind: "dense", units: 64, activation: "relu" },
      { kind: "dense", units: 10 },
    ],
    classes: DIGITS,
  },
  config: BENCH_CONFIG,
};

/**
 * CNN conv(32,3×3)-maxpool-conv(64,3×3)-maxpool-dense(128)-dense(10), valid
 * padding: 28 → 26 → 13 → 11 → 5, so the flattened size is 64·5·5 = 1600.
 */
export const MNIST_CNN: Workload = {
  name: "mnist-cnn",
  spec: {
    format: "layerlab.model/1",
    name: "bench-mnist-cnn",
    input: { shape: [1, 28, 28] },
    layers: [
      { kind: "conv2d", filters: 32, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 64, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "flatten" },
      { kind: "dense", units: 128, activation: "relu" },
      { kind: "dense", units: 10 },
    ],
    classes: DIGITS,
  },
  config: BENCH_CONFIG,
};

/** Both workloads, in table order. */
export const WORKLOADS: readonly Workload[] = [MNIST_MLP, MNIST_CNN];

/** Warm-up and measured steps per workload; CNN steps are slower, so it gets fewer. */
export interface StepPlan {
  warmupSteps: number;
  steps: number;
}

/** Default step counts: long enough for a stable rate, short enough for a few minutes in all. */
export const DEFAULT_STEPS: Record<WorkloadName, StepPlan> = {
  "mnist-mlp": { warmupSteps: 20, steps: 400 },
  "mnist-cnn": { warmupSteps: 10, steps: 60 },
};

/**
 * The step plan for `name`, with `steps` overriding the measured count. The
 * warm-up stays at its default: the engine times from its batch events, one
 * every 10 steps, so a warm-up below 10 would leave no start mark.
 */
export function stepPlan(name: WorkloadName, steps?: number): StepPlan {
  const plan = DEFAULT_STEPS[name];
  return steps === undefined ? plan : { warmupSteps: plan.warmupSteps, steps };
}

/**
 * Random MNIST-shaped data: uint8 28×28 single-channel images and labels
 * 0–9, seeded, `count` training samples (and a tiny test split the benchmark
 * never evaluates). Speed does not depend on pixel values, only on shapes.
 */
export function syntheticMnist(count: number, seed = 1234): Dataset {
  const rng = createRng(seed);
  const size = 28 * 28;
  const make = (n: number) => {
    const images = new Uint8Array(n * size);
    for (let i = 0; i < images.length; i++) images[i] = Math.floor(rng() * 256);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = Math.floor(rng() * 10);
    return { images, labels, count: n };
  };
  return {
    name: "synthetic-mnist",
    shape: [1, 28, 28],
    classes: DIGITS,
    train: make(count),
    test: make(BATCH_SIZE),
    allowsHorizontalFlip: false,
  };
}

/** Training samples needed for `plan` plus one spare batch (the loop drops a last partial batch). */
export function samplesFor(plan: StepPlan): number {
  return BATCH_SIZE * (plan.warmupSteps + plan.steps + 1);
}

/** Parses a comma-separated workload list (`mnist-mlp,mnist-cnn`), naming any unknown entry. */
export function parseWorkloadList(text: string): WorkloadName[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(WORKLOAD_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown workload '${name}': use ${WORKLOAD_NAMES.join(", ")}`);
    }
  }
  if (names.length === 0) throw new Error(`no workload given: use ${WORKLOAD_NAMES.join(", ")}`);
  return names as WorkloadName[];
}

/** Parses `--steps`: a whole number of measured steps, at least 1. */
export function parseSteps(text: string): number {
  const steps = Number(text);
  if (!Number.isInteger(steps) || steps < 1 || steps > 100_000) {
    throw new Error(`--steps must be a whole number from 1 to 100000, got '${text}'`);
  }
  return steps;
}
