import type { Inspection } from "../train/protocol";

/** One layer of neurons in the 3D view: the input, or a dense layer's output after its activation. */
export interface NeuronColumn {
  /** Spec index of the dense layer, or -1 for the input. */
  layer: number;
  label: string;
  values: Float32Array;
  /** Rows and columns the neurons are laid out in (28×28 for an MNIST input). */
  grid: [number, number];
}

/** The strongest incoming connections of one dense layer: parallel arrays of source, target and signed strength. */
export interface Connections {
  from: Int32Array;
  to: Int32Array;
  /** Weight × source activation: what the connection adds to the target for this input. */
  strength: Float32Array;
}

/** Everything the 3D view draws, as flat vertex buffers (xyz and rgb per vertex). */
export interface NetworkScene {
  columns: NeuronColumn[];
  pointPositions: Float32Array;
  pointColors: Float32Array;
  linePositions: Float32Array;
  lineColors: Float32Array;
}

/** Layer kinds that keep a net "dense": one vector of neurons per layer. */
const DENSE_KINDS = new Set(["flatten", "dense", "activation", "dropout", "batchNorm1d"]);

/** The neuron columns of a dense net for one input, or a sentence saying why the net is not one. */
export function denseColumns(inspection: Inspection): NeuronColumn[] | string {
  const other = inspection.layers.find((l) => !DENSE_KINDS.has(l.kind));
  if (other) return `the 3D view shows dense nets; layer ${other.layer + 1} is a ${other.kind} (see the feature maps)`;
  if (!inspection.layers.some((l) => l.kind === "dense")) return "the model has no dense layer to show";
  const [c = 1, h = 1, w = 1] = inspection.input.shape;
  const inputGrid: [number, number] = c === 1 && inspection.input.shape.length === 3 ? [h, w] : squareGrid(c * h * w);
  const columns: NeuronColumn[] = [{ layer: -1, label: "input", values: inspection.input.data, grid: inputGrid }];
  const layers = inspection.layers;
  for (let i = 0; i < layers.length; i++) {
    if (layers[i]!.kind !== "dense") continue;
    // A dense layer's neurons show what the next dense layer sees: the output after its activation/dropout.
    let j = i;
    while (j + 1 < layers.length && layers[j + 1]!.kind !== "dense") j++;
    const values = layers[j]!.data;
    columns.push({
      layer: layers[i]!.layer,
      label: `dense ${layers[i]!.layer + 1}`,
      values,
      grid: squareGrid(values.length),
    });
  }
  return columns;
}

/** A near-square grid that holds `n` cells. */
export function squareGrid(n: number): [number, number] {
  const cols = Math.ceil(Math.sqrt(n));
  return [Math.ceil(n / cols), cols];
}

/**
 * The `n` strongest incoming connections of each neuron of a dense layer, by
 * |weight × source activation| for the current input. `weight` is `[out, in]`
 * row-major (PyTorch's Linear layout); `inputs` has `in` values.
 */
export function topIncoming(weight: Float32Array, outCount: number, inputs: Float32Array, n: number): Connections {
  const inCount = inputs.length;
  if (weight.length !== outCount * inCount) {
    throw new Error(`topIncoming: weight has ${weight.length} values, expected ${outCount}×${inCount}`);
  }
  const k = Math.max(0, Math.min(n, inCount));
  const from = new Int32Array(outCount * k);
  const to = new Int32Array(outCount * k);
  const strength = new Float32Array(outCount * k);
  const bestIdx = new Int32Array(k);
  const bestAbs = new Float32Array(k);
  for (let o = 0; o < outCount; o++) {
    bestAbs.fill(-1);
    bestIdx.fill(0);
    const row = o * inCount;
    for (let i = 0; i < inCount; i++) {
      const s = Math.abs(weight[row + i]! * inputs[i]!);
      if (k === 0 || s <= bestAbs[k - 1]!) continue;
      // Insertion into a short sorted list: k is small (≤ 64), so this beats a heap.
      let p = k - 1;
      while (p > 0 && bestAbs[p - 1]! < s) {
        bestAbs[p] = bestAbs[p - 1]!;
        bestIdx[p] = bestIdx[p - 1]!;
        p--;
      }
      bestAbs[p] = s;
      bestIdx[p] = i;
    }
    for (let r = 0; r < k; r++) {
      const at = o * k + r;
      from[at] = bestIdx[r]!;
      to[at] = o;
      strength[at] = weight[row + bestIdx[r]!]! * inputs[bestIdx[r]!]!;
    }
  }
  return { from, to, strength };
}

/** Colour of a signed value scaled by `max`: orange for positive, blue for negative, grey near zero. */
export function signedColor(v: number, max: number, out: Float32Array, at: number): void {
  const t = max > 0 ? Math.min(1, Math.abs(v) / max) : 0;
  const [r, g, b] = v >= 0 ? [1, 0.5, 0.1] : [0.2, 0.55, 1];
  const grey = 0.35;
  out[at] = grey + (r - grey) * t;
  out[at + 1] = grey + (g - grey) * t;
  out[at + 2] = grey + (b - grey) * t;
}

function maxAbs(values: Float32Array): number {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

/** Distance between two neighbouring neurons, and between two layers, in scene units. */
const PITCH = 1;
const LAYER_GAP = 30;

/**
 * Lays the columns out one behind the other (along x), each as a grid in the
 * y–z plane centred on the axis, and draws the top-`n` incoming connections of
 * every dense neuron.
 */
export function buildScene(columns: NeuronColumn[], weights: Inspection["weights"], n: number): NetworkScene {
  const total = columns.reduce((s, c) => s + c.values.length, 0);
  const pointPositions = new Float32Array(total * 3);
  const pointColors = new Float32Array(total * 3);
  const offsets: number[] = [];
  let at = 0;
  columns.forEach((col, k) => {
    offsets.push(at);
    const [rows, cols] = col.grid;
    // Small layers spread out so they stay visible next to a 28×28 input.
    const pitch = PITCH * Math.max(1, 12 / Math.max(rows, cols));
    const x = (k - (columns.length - 1) / 2) * LAYER_GAP;
    const max = maxAbs(col.values);
    for (let i = 0; i < col.values.length; i++) {
      const r = Math.floor(i / cols);
      const c = i % cols;
      pointPositions[(at + i) * 3] = x;
      pointPositions[(at + i) * 3 + 1] = ((rows - 1) / 2 - r) * pitch;
      pointPositions[(at + i) * 3 + 2] = (c - (cols - 1) / 2) * pitch;
      signedColor(col.values[i]!, max, pointColors, (at + i) * 3);
    }
    at += col.values.length;
  });
  const links: Connections[] = [];
  for (let k = 1; k < columns.length; k++) {
    const w = weights[columns[k]!.layer];
    if (!w) continue;
    links.push(topIncoming(w.data, columns[k]!.values.length, columns[k - 1]!.values, n));
  }
  const edgeCount = links.reduce((s, l) => s + l.from.length, 0);
  const linePositions = new Float32Array(edgeCount * 6);
  const lineColors = new Float32Array(edgeCount * 6);
  let e = 0;
  links.forEach((link, j) => {
    const src = offsets[j]!;
    const dst = offsets[j + 1]!;
    const max = maxAbs(link.strength);
    for (let i = 0; i < link.from.length; i++, e++) {
      const a = (src + link.from[i]!) * 3;
      const b = (dst + link.to[i]!) * 3;
      linePositions.set(pointPositions.subarray(a, a + 3), e * 6);
      linePositions.set(pointPositions.subarray(b, b + 3), e * 6 + 3);
      signedColor(link.strength[i]!, max, lineColors, e * 6);
      lineColors.copyWithin(e * 6 + 3, e * 6, e * 6 + 3);
    }
  });
  return { columns, pointPositions, pointColors, linePositions, lineColors };
}
