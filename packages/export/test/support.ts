// Shared by the export tests: the models they export (every layer kind and its
// variants, every template), their weights with non-trivial batch-norm
// statistics, seeded inputs and the engine's probabilities.
import { spawnSync } from "node:child_process";
import {
  buildModel,
  decodeSafetensors,
  disposeVars,
  encodeSafetensors,
  initBackend,
  loadWeights,
  type Model,
  type ModelVars,
  predict,
  saveWeights,
} from "@layerlab/engine";
import { buildTemplate, type LayerInput, type ModelSpec, TEMPLATE_IDS } from "@layerlab/spec";

/** Debian's interpreter, which has python3-torch (the `python3` on PATH may not). */
export const PYTHON = "/usr/bin/python3";

/** Max abs difference of probabilities the issue allows between LayerLab and an exported model. */
export const TOLERANCE = 1e-4;

/** Throws (the test fails, it does not skip) when PyTorch cannot be imported. */
export function requireTorch(): void {
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`PyTorch is required for the export tests: '${PYTHON} -c "import torch"' failed: ${r.stderr}`);
  }
}

/** One model to export. */
export interface ExportCase {
  name: string;
  spec: ModelSpec;
}

const classes = (n: number) => Array.from({ length: n }, (_, i) => `class ${i}`);

function layered(name: string, shape: number[], layers: LayerInput[], classCount = 4): ExportCase {
  return {
    name,
    spec: buildModel({
      name,
      input: { shape },
      layers: [...layers, { kind: "dense", units: classCount }],
      classes: classes(classCount),
    }).spec,
  };
}

/** Every layer kind with the variants that matter for export (padding, strides, pools, batch norm, flatten order). */
export const LAYER_CASES: ExportCase[] = [
  layered(
    "dense",
    [6],
    [
      { kind: "dense", units: 8, activation: "relu" },
      { kind: "dense", units: 5, bias: false },
    ],
  ),
  layered(
    "dense-activations",
    [5],
    [
      { kind: "dense", units: 6, activation: { fn: "leakyRelu", alpha: 0.2 } },
      { kind: "dense", units: 6, activation: { fn: "elu", alpha: 0.7 } },
      { kind: "dense", units: 6, activation: "gelu" },
      { kind: "dense", units: 6, activation: "sigmoid" },
      { kind: "dense", units: 6, activation: "tanh" },
    ],
  ),
  layered(
    "activation-layers",
    [2, 5, 5],
    [
      { kind: "activation", fn: "relu" },
      { kind: "activation", fn: "leakyRelu" },
      { kind: "activation", fn: "elu", alpha: 1.5 },
      { kind: "activation", fn: "gelu" },
      { kind: "activation", fn: "tanh" },
      { kind: "activation", fn: "sigmoid" },
      { kind: "flatten" },
    ],
  ),
  layered("conv-valid-flatten", [2, 7, 6], [{ kind: "conv2d", filters: 3, kernel: 3 }, { kind: "flatten" }]),
  layered(
    "conv-same-odd",
    [3, 7, 6],
    [{ kind: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" }, { kind: "flatten" }],
  ),
  layered(
    "conv-same-stride2",
    [2, 9, 8],
    [{ kind: "conv2d", filters: 3, kernel: 3, stride: 2, padding: "same" }, { kind: "flatten" }],
  ),
  layered(
    "conv-same-even-kernel",
    [2, 7, 8],
    [{ kind: "conv2d", filters: 3, kernel: 4, padding: "same", bias: false, activation: "gelu" }, { kind: "flatten" }],
  ),
  layered(
    "conv-valid-stride2",
    [1, 11, 9],
    [{ kind: "conv2d", filters: 2, kernel: 3, stride: 2, activation: "tanh" }, { kind: "flatten" }],
  ),
  layered(
    "max-pool",
    [2, 9, 8],
    [{ kind: "maxPool2d", size: 2 }, { kind: "maxPool2d", size: 3, stride: 1 }, { kind: "flatten" }],
  ),
  layered(
    "avg-pool",
    [2, 9, 8],
    [{ kind: "avgPool2d", size: 2 }, { kind: "avgPool2d", size: 3, stride: 2 }, { kind: "flatten" }],
  ),
  layered(
    "global-avg-pool",
    [3, 6, 5],
    [{ kind: "conv2d", filters: 5, kernel: 3, padding: "same" }, { kind: "globalAvgPool" }],
  ),
  layered(
    "batch-norm-2d",
    [3, 6, 6],
    [
      { kind: "conv2d", filters: 4, kernel: 3 },
      { kind: "batchNorm", epsilon: 1e-3 },
      { kind: "activation", fn: "relu" },
      { kind: "flatten" },
    ],
  ),
  layered(
    "batch-norm-1d",
    [7],
    [
      { kind: "dense", units: 6 },
      { kind: "batchNorm", momentum: 0.2 },
      { kind: "activation", fn: "elu" },
    ],
  ),
  layered(
    "dropout",
    [2, 5, 5],
    [{ kind: "dropout", rate: 0.3 }, { kind: "flatten" }, { kind: "dense", units: 6 }, { kind: "dropout" }],
  ),
];

/** Every template, on MNIST-like and CIFAR-like inputs. */
export const TEMPLATE_CASES: ExportCase[] = TEMPLATE_IDS.flatMap((id) => [
  { name: `template-${id}-mnist`, spec: buildTemplate(id, { inputShape: [1, 28, 28], classes: classes(10) }) },
  { name: `template-${id}-cifar`, spec: buildTemplate(id, { inputShape: [3, 32, 32], classes: classes(10) }) },
]);

/** Deterministic uniform numbers in [lo, hi) (a 32-bit LCG: the tests need reproducible inputs, not quality). */
export function seededUniform(seed: number, n: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** A model with seeded weights whose batch norms carry non-trivial running statistics and affine parameters. */
export interface TrainedModel {
  model: Model;
  vars: ModelVars;
  /** The weights as safetensors, what exportModel takes. */
  weights: Uint8Array;
}

/** Builds and initialises `spec`, then redraws every batch norm's tensors through a safetensors round trip. */
export async function trainedModel(spec: ModelSpec, seed: number): Promise<TrainedModel> {
  await initBackend();
  const model = buildModel(spec);
  const initial = model.init(seed);
  const { tensors } = decodeSafetensors(await saveWeights(initial));
  disposeVars(initial);
  let s = seed * 7919;
  const ranges: Record<string, [number, number]> = {
    running_mean: [-0.5, 0.5],
    running_var: [0.3, 2],
    weight: [0.5, 1.5],
    bias: [-0.5, 0.5],
  };
  spec.layers.forEach((layer, i) => {
    if (layer.kind !== "batchNorm") return;
    for (const [suffix, [lo, hi]] of Object.entries(ranges)) {
      const t = tensors[`${i}.${suffix}`]!;
      t.data = seededUniform(++s, t.data.length, lo, hi);
    }
  });
  const weights = encodeSafetensors(tensors);
  return { model, vars: loadWeights(model, weights), weights };
}

/** Seeded inputs `[n, ...input]` in [-2, 2), like normalised pixels. */
export function inputsFor(spec: ModelSpec, n: number, seed: number): Float32Array {
  const size = spec.input.shape.reduce((a, b) => a * b, 1);
  return seededUniform(seed, n * size, -2, 2);
}

/** LayerLab's probabilities `[n · classes]`. */
export function engineProbabilities(m: TrainedModel, x: Float32Array, n: number): Promise<Float32Array> {
  return predict(m.model, m.vars, x, n);
}

/** Largest |a − b| over two equally long arrays; Infinity when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
