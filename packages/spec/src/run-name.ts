import type { ModelSpec } from "./model";

/*
 * A run's default name says what sets it apart from its neighbours in the
 * run list — the architecture, the dataset, the optimizer with its learning
 * rate and the batch size — so that ten runs of one template do not all read
 * "MLP". The server names runs with it and the page can preview the name.
 */

/** A learning rate as people write it in a name: "1e-3", "5.5e-3", "0.1". */
export function formatLearningRate(lr: number): string {
  const rounded = Number(lr.toPrecision(3));
  if (rounded >= 0.1 && rounded < 10) return String(rounded);
  const [mantissa, exponent] = rounded.toExponential().split("e");
  return `${mantissa}e${Number(exponent)}`;
}

/**
 * The layer sizes: "MLP 784-128-64-10" (inputs, dense layers, outputs) or "CNN conv32-conv64-fc128" (convs,
 * hidden dense), and a graph's merges after them: "CNN conv16-conv16-conv16-fc10 (1 add)".
 */
export function architectureName(spec: ModelSpec): string {
  const merges = (["add", "concat"] as const).flatMap((kind) => {
    const n = spec.layers.filter((l) => l.kind === kind).length;
    return n === 0 ? [] : [`${n} ${kind}`];
  });
  const sizes = layerSizes(spec);
  return merges.length === 0 ? sizes : `${sizes} (${merges.join(", ")})`;
}

function layerSizes(spec: ModelSpec): string {
  const dense = spec.layers.flatMap((l) => (l.kind === "dense" ? [l.units] : []));
  const convs = spec.layers.flatMap((l) => (l.kind === "conv2d" ? [l.filters] : []));
  if (convs.length > 0) {
    // The output layer's size is the class count, which the dataset already says.
    const hidden = spec.layers.at(-1)?.kind === "dense" ? dense.slice(0, -1) : dense;
    return `CNN ${[...convs.map((f) => `conv${f}`), ...hidden.map((u) => `fc${u}`)].join("-")}`;
  }
  const inputs = spec.input.shape.reduce((a, b) => a * b, 1);
  return `MLP ${[inputs, ...dense].join("-")}`;
}

/** The name a run gets when nobody names it: "MLP 784-128-64-10 · mnist · adam 1e-3 · bs 64". */
export function defaultRunName(
  spec: ModelSpec,
  config: { optimizer: { name: string }; learningRate: number; batchSize: number },
  dataset: string,
): string {
  const dropout = Math.max(0, ...spec.layers.flatMap((l) => (l.kind === "dropout" ? [l.rate] : [])));
  return [
    architectureName(spec),
    dataset,
    `${config.optimizer.name} ${formatLearningRate(config.learningRate)}`,
    `bs ${config.batchSize}`,
    ...(dropout > 0 ? [`dropout ${dropout}`] : []),
  ].join(" · ");
}
