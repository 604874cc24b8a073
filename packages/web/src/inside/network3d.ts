import type { Inspection } from "../train/protocol";

/**
 * The 3D view's data, free of three.js: which layers it shows, where every
 * neuron and feature-map plane goes, their colours for one input, the
 * strongest connections, and how far the camera stands to see it all.
 */

/** One thing the 3D view draws per layer: a grid of neurons, or a stack of feature maps. */
export interface NetworkBlock {
  /** Spec index of the layer, or -1 for the input. */
  layer: number;
  kind: "neurons" | "maps";
  /** The last dense layer is the output: its neurons are the classes. */
  role: "input" | "hidden" | "output";
  /** Such as "input 28×28", "dense #2 · 64", "conv #1 · 32×28×28", "output · 10". */
  label: string;
  /** The layer's output for this input, after any activation, batch norm or dropout that follows it. */
  values: Float32Array;
  /** `[channels, height, width]` for maps, `[count]` or `[height, width]` (an image input) for neurons. */
  shape: number[];
  /** The blocks whose outputs this one takes (a merge has several); empty for the input. */
  sources: number[];
}

/** The strongest incoming connections of one dense layer: parallel arrays of source, target and signed strength. */
export interface Connections {
  from: Int32Array;
  to: Int32Array;
  /** Weight × source activation: what the connection adds to the target for this input. */
  strength: Float32Array;
}

/** The most connections per neuron the view offers: its line buffers are sized for this once per model. */
export const MAX_TOP_N = 16;

/** Layers that change values but not the shape: shown as part of the layer before them. */
const ELEMENTWISE = new Set(["activation", "batchNorm", "batchNorm1d", "dropout"]);

/** Short names for layer labels. */
const KIND_NAMES: Record<string, string> = {
  conv2d: "conv",
  maxPool2d: "max pool",
  avgPool2d: "avg pool",
  globalAvgPool: "global avg pool",
  dense: "dense",
  add: "add",
  concat: "concat",
};

/** A shape as "28×28". */
const dims = (shape: readonly number[]) => shape.join("×");

/**
 * The blocks the 3D view shows for one inspection: the input, every conv, pooling, add and concat layer as
 * a stack of maps, every dense layer as neurons (the one giving the logits labelled "output"). A flatten is
 * left out (it only reshapes), and elementwise layers fold into the block whose output they take. Each
 * block knows the blocks it takes, so branches of a graph can stand side by side.
 */
export function networkBlocks(inspection: Inspection): NetworkBlock[] {
  const hasMaps = inspection.layers.some((l) => l.shape.length === 3);
  const inShape = inspection.input.shape;
  const [c = 1, h = 1, w = 1] = inShape;
  const input: NetworkBlock =
    inShape.length === 3 && hasMaps
      ? {
          layer: -1,
          kind: "maps",
          role: "input",
          label: "",
          values: inspection.input.data,
          shape: [c, h, w],
          sources: [],
        }
      : {
          layer: -1,
          kind: "neurons",
          role: "input",
          label: "",
          values: inspection.input.data,
          // A one-channel image keeps its rows and columns, so the drawing is recognisable.
          shape: inShape.length === 3 && c === 1 ? [h, w] : [inspection.input.data.length],
          sources: [],
        };
  input.label = inShape.length === 3 ? `input ${dims(c === 1 ? [h, w] : inShape)}` : `input · ${inShape.join("×")}`;
  const blocks: NetworkBlock[] = [input];
  // The block that shows each layer's output; the model's input (-1) is block 0.
  const blockOf = new Map<number, number>([[-1, 0]]);
  for (const l of inspection.layers) {
    const sources = l.sources ?? [l.layer - 1];
    const from = sources.length === 1 ? blockOf.get(sources[0]!) : undefined;
    if (ELEMENTWISE.has(l.kind)) {
      if (from === undefined) continue;
      const source = blocks[from]!;
      if (source.role !== "input" && source.values.length === l.data.length) source.values = l.data;
      blockOf.set(l.layer, from);
      continue;
    }
    if (l.kind === "flatten" || (l.shape.length !== 3 && l.shape.length !== 1)) {
      if (from !== undefined) blockOf.set(l.layer, from);
      continue;
    }
    const name = KIND_NAMES[l.kind] ?? l.kind;
    const maps = l.shape.length === 3;
    blockOf.set(l.layer, blocks.length);
    blocks.push({
      layer: l.layer,
      kind: maps ? "maps" : "neurons",
      role: "hidden",
      // Numbered by the layer's place in the model, as the builder's cards and the feature maps number it.
      label: `${name} #${l.layer + 1} · ${dims(l.shape)}`,
      values: l.data,
      shape: [...l.shape],
      sources: [...new Set(sources.flatMap((s) => (blockOf.has(s) ? [blockOf.get(s)!] : [])))],
    });
  }
  // The logits come from the last layer, whose block is the last one unless that layer folded into another.
  const last = inspection.layers.at(-1);
  const out = blocks[(last && blockOf.get(last.layer)) ?? blocks.length - 1]!;
  if (blocks.length > 1 && out.kind === "neurons" && out.role !== "input") {
    out.role = "output";
    out.label = `output · ${out.values.length}`;
  }
  return blocks;
}

/** Identifies the blocks' structure: the same key means the scene objects can be kept and only recoloured. */
export function structureKey(blocks: readonly NetworkBlock[], maxChannels: number): string {
  return `${maxChannels}|${blocks.map((b) => `${b.kind}:${b.role}:${b.shape.join("x")}:${b.label}<${b.sources.join(",")}`).join("|")}`;
}

/** A grid about twice as tall as wide that holds `n` cells: hidden layers stand up, which suits a wide panel. */
export function tallGrid(n: number): [number, number] {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
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

/** Colour of positive values (red), negative ones (blue) and zero (grey), as sRGB in [0, 1]. */
export const POSITIVE_RGB = [0.86, 0.16, 0.12] as const;
export const NEGATIVE_RGB = [0.1, 0.38, 0.9] as const;
export const ZERO_RGB = [0.62, 0.64, 0.67] as const;

/** Writes the diverging colour of `v` scaled by `max` (|v| ≥ max is the full colour) into `out[at..at+3]`. */
export function divergingColor(v: number, max: number, out: Float32Array | Uint8ClampedArray, at: number, scale = 1) {
  const t = max > 0 ? Math.min(1, Math.abs(v) / max) : 0;
  const end = v >= 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  for (let k = 0; k < 3; k++) out[at + k] = (ZERO_RGB[k]! + (end[k]! - ZERO_RGB[k]!) * t) * scale;
}

/** The largest |value|, the colour scale of a block (0 for all zeros). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

/**
 * One feature map as RGBA pixels in the diverging colours, scaled by `max`
 * (the whole layer's, so a layer's channels compare), rows flipped bottom-up
 * as a WebGL texture expects.
 */
export function mapPixels(values: Float32Array, height: number, width: number, max: number, out?: Uint8Array) {
  const rgba = out ?? new Uint8Array(height * width * 4);
  const px = new Float32Array(3);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      divergingColor(values[r * width + c]!, max, px, 0, 255);
      const at = ((height - 1 - r) * width + c) * 4;
      rgba[at] = Math.round(px[0]!);
      rgba[at + 1] = Math.round(px[1]!);
      rgba[at + 2] = Math.round(px[2]!);
      rgba[at + 3] = 255;
    }
  }
  return rgba;
}

type Vec3 = [number, number, number];

/** A feature-map plane: one channel of a maps block. */
export interface PlaneSpot {
  block: number;
  channel: number;
  center: Vec3;
  /** Side length of the (square) plane in scene units. */
  size: number;
}

/** Where everything of the 3D view goes, in scene units (x runs from the input to the output). */
export interface NetworkLayout {
  /** xyz of every neuron of every neurons block, block after block. */
  neuronPositions: Float32Array;
  /** Radius of each neuron. */
  neuronRadii: Float32Array;
  /** Index of each block's first neuron in `neuronPositions` (-1 for a maps block). */
  neuronStart: number[];
  planes: PlaneSpot[];
  /** Channels shown of each block (all of a neurons block's "one"). */
  shownChannels: number[];
  /** A point just above (or below) each block, for its label. */
  labelAnchors: Vec3[];
  /** Whether each block's label hangs below its anchor rather than standing on it. */
  labelBelow: boolean[];
  /** Points the labels reach: the camera keeps them in view too. */
  labelReach: Vec3[];
  /**
   * Lines between blocks for the edges a left-to-right row would not show: the inputs of a merge and the
   * edges that skip columns, each from the right edge of one block to the left edge of another.
   */
  links: [Vec3, Vec3][];
}

/** Space between two blocks joined by drawn connections, and between two stacks of maps. */
const LINKED_GAP = 26;
const STACK_GAP = 10;
/**
 * Each further channel of a stack sits this fraction of a plane's side to the
 * right, above and behind: seen from the default view, a fan of maps whose
 * upper parts show above the one in front.
 */
const CASCADE: Vec3 = [0.04, 0.2, -0.4];

/** Neuron spacing of a block: pixels of an image input sit close, hidden neurons further apart. */
function pitchOf(block: NetworkBlock): number {
  if (block.role === "input") return 1;
  return block.role === "output" ? 4.5 : block.values.length > 256 ? 1.6 : 2.6;
}

/** Side of a map plane: grows with the map, within limits so small maps stay visible. */
function planeSize(height: number): number {
  return Math.max(12, Math.min(28, height));
}

/** Space between blocks stacked in one column (branches side by side), room for their labels included. */
const BRANCH_GAP = 16;

/** A block's footprint before it is placed: its width along x and its extent along y around its own origin. */
interface Footprint {
  width: number;
  low: number;
  high: number;
  /** For neurons: rows, columns, pitch and radius of the grid. */
  grid?: { rows: number; cols: number; pitch: number; radius: number };
  /** For maps: the channels shown and the side of a plane. */
  stack?: { shown: number; size: number };
}

function footprint(block: NetworkBlock, maxChannels: number): Footprint {
  if (block.kind === "neurons") {
    const n = block.values.length;
    const [rows, cols] =
      block.role === "output" ? [n, 1] : block.shape.length === 2 ? [block.shape[0]!, block.shape[1]!] : tallGrid(n);
    const pitch = pitchOf(block);
    const radius = block.role === "input" ? pitch * 0.45 : Math.min(1.5, pitch * 0.36);
    const half = ((rows - 1) / 2) * pitch + radius;
    return { width: (cols - 1) * pitch, low: -half, high: half, grid: { rows, cols, pitch, radius } };
  }
  const [channels = 1, height = 1] = block.shape;
  const shown = Math.min(channels, maxChannels);
  const size = planeSize(height);
  return {
    width: size * (1 + (shown - 1) * CASCADE[0]),
    low: -size / 2,
    high: (shown - 1) * CASCADE[1] * size + size / 2,
    stack: { shown, size },
  };
}

/** Where placeBlocks puts each block: its left x, vertical offset, column, and place among its column's blocks. */
interface Placement {
  x: number[];
  dy: number[];
  column: number[];
  /** 0 for the top block of its column. */
  row: number[];
  /** How many blocks share each block's column. */
  rows: number[];
}

/**
 * Where the blocks stand: a block's column is one past the furthest of the blocks it takes, so a chain runs
 * left to right and the branches of a graph share a column, stacked top to bottom in the spec's order.
 */
function placeBlocks(blocks: readonly NetworkBlock[], prints: readonly Footprint[]): Placement {
  const column: number[] = [];
  blocks.forEach((block, b) => {
    column.push(b === 0 ? 0 : 1 + Math.max(-1, ...block.sources.map((s) => column[s] ?? 0)));
  });
  const columns = Math.max(...column) + 1;
  const members = Array.from({ length: columns }, (_, c) => column.flatMap((k, b) => (k === c ? [b] : [])));
  const x: number[] = new Array(blocks.length).fill(0);
  const dy: number[] = new Array(blocks.length).fill(0);
  const row: number[] = new Array(blocks.length).fill(0);
  const rows: number[] = new Array(blocks.length).fill(1);
  let left = 0;
  members.forEach((inColumn, c) => {
    if (c > 0) {
      const maps = (k: number) => members[k]!.some((b) => blocks[b]!.kind === "maps");
      left += maps(c) || maps(c - 1) ? STACK_GAP : LINKED_GAP;
    }
    const height = inColumn.reduce((sum, b) => sum + prints[b]!.high - prints[b]!.low, 0);
    let top = inColumn.length === 1 ? prints[inColumn[0]!]!.high : (height + BRANCH_GAP * (inColumn.length - 1)) / 2;
    inColumn.forEach((b, r) => {
      x[b] = left;
      dy[b] = top - prints[b]!.high;
      row[b] = r;
      rows[b] = inColumn.length;
      top -= prints[b]!.high - prints[b]!.low + BRANCH_GAP;
    });
    if (inColumn.length > 0) left += Math.max(...inColumn.map((b) => prints[b]!.width));
  });
  return { x, dy, column, row, rows };
}

/**
 * Whether each block's label hangs below it rather than standing on top. Neighbouring stacks of maps are
 * close, so their labels alternate from column to column (counted over the columns that hold maps, as a
 * chain counts its stacks); where branches share a column, the top one's label stands on it and the others'
 * hang below, away from it. The output's label hangs below its classes, clear of the layer before it.
 */
function labelsBelow(blocks: readonly NetworkBlock[], place: Placement): boolean[] {
  const mapsColumns = [...new Set(blocks.flatMap((b, k) => (b.kind === "maps" ? [place.column[k]!] : [])))].sort(
    (a, b) => a - b,
  );
  return blocks.map((block, k) => {
    if (block.kind !== "maps") return block.role === "output";
    if (place.rows[k]! > 1) return place.row[k]! > 0;
    return mapsColumns.indexOf(place.column[k]!) % 2 === 1;
  });
}

/**
 * Lays the blocks out left to right, branches of a graph side by side. A neurons block is a grid facing
 * the viewer (the output a single column, one neuron per class); a maps block is at most `maxChannels`
 * planes cascading back in depth.
 */
export function layoutNetwork(blocks: readonly NetworkBlock[], maxChannels: number): NetworkLayout {
  const neuronCount = blocks.reduce((s, b) => s + (b.kind === "neurons" ? b.values.length : 0), 0);
  const neuronPositions = new Float32Array(neuronCount * 3);
  const neuronRadii = new Float32Array(neuronCount);
  const neuronStart: number[] = [];
  const planes: PlaneSpot[] = [];
  const shownChannels: number[] = [];
  const labelAnchors: Vec3[] = [];
  const labelBelow: boolean[] = [];
  const labelReach: Vec3[] = [];
  const prints = blocks.map((block) => footprint(block, maxChannels));
  const place = placeBlocks(blocks, prints);
  const { x: lefts, dy: offsets } = place;
  const below = labelsBelow(blocks, place);
  let at = 0;
  blocks.forEach((block, b) => {
    const x = lefts[b]!;
    const dy = offsets[b]!;
    const print = prints[b]!;
    if (print.grid) {
      const { rows, cols, pitch, radius } = print.grid;
      neuronStart.push(at);
      shownChannels.push(1);
      for (let i = 0; i < block.values.length; i++, at++) {
        const px = x + (i % cols) * pitch;
        const py = dy + ((rows - 1) / 2 - Math.floor(i / cols)) * pitch;
        neuronPositions.set([px, py, 0], at * 3);
        neuronRadii[at] = radius;
      }
      const width = (cols - 1) * pitch;
      const top = dy + ((rows - 1) / 2) * pitch + radius + 1.5;
      const bottom = 2 * dy - top;
      labelAnchors.push(below[b] ? [x + width / 2, bottom, 0] : [x + width / 2, top, 0]);
      labelBelow.push(below[b]!);
      labelReach.push(below[b] ? [x + width / 2, bottom - 3, 0] : [x + width / 2, top + 3, 0]);
      // The class names stand to the right of the output neurons.
      if (block.role === "output") labelReach.push([x + 24, top, 0], [x + 24, bottom, 0]);
      return;
    }
    const { shown, size } = print.stack!;
    neuronStart.push(-1);
    shownChannels.push(shown);
    for (let ch = 0; ch < shown; ch++) {
      const center: Vec3 = [x + size / 2 + ch * CASCADE[0] * size, dy + ch * CASCADE[1] * size, ch * CASCADE[2] * size];
      planes.push({ block: b, channel: ch, center, size });
    }
    const top = dy + (shown - 1) * CASCADE[1] * size + size / 2 + 1.5;
    const back = (shown - 1) * CASCADE[2] * size;
    labelAnchors.push(below[b] ? [x + size / 2, dy - size / 2 - 1.5, 0] : [x + size / 2, top, back]);
    labelReach.push(below[b] ? [x + size / 2, dy - size / 2 - 6, 0] : [x + size / 2, top + 5, back]);
    labelBelow.push(below[b]!);
  });
  // The edges a row of blocks does not show by itself: into a merge, or past a column.
  const column = (b: number) => lefts[b]!;
  const links: [Vec3, Vec3][] = [];
  blocks.forEach((block, b) => {
    for (const s of block.sources) {
      const skips = blocks.some((_, k) => k !== s && k !== b && column(k) > column(s) && column(k) < column(b));
      if (block.sources.length < 2 && !skips) continue;
      links.push([
        [lefts[s]! + prints[s]!.width, offsets[s]!, 0],
        [lefts[b]!, offsets[b]!, 0],
      ]);
    }
  });
  return {
    neuronPositions,
    neuronRadii,
    neuronStart,
    planes,
    shownChannels,
    labelAnchors,
    labelBelow,
    labelReach,
    links,
  };
}

/** Diverging colours (sRGB) of every neuron, each block scaled by its own largest |value|. */
export function neuronColors(blocks: readonly NetworkBlock[], layout: NetworkLayout, out?: Float32Array) {
  const colors = out ?? new Float32Array(layout.neuronRadii.length * 3);
  blocks.forEach((block, b) => {
    const start = layout.neuronStart[b]!;
    if (start < 0) return;
    const scale = maxAbs(block.values);
    for (let i = 0; i < block.values.length; i++) divergingColor(block.values[i]!, scale, colors, (start + i) * 3);
  });
  return colors;
}

/** Line segments of the strongest connections: xyz and rgb per end, `count` segments. */
export interface ConnectionLines {
  positions: Float32Array;
  colors: Float32Array;
  count: number;
}

/** The one block that block `b` takes, or undefined for a merge or the input. */
function singleSource(blocks: readonly NetworkBlock[], b: number): NetworkBlock | undefined {
  const sources = blocks[b]!.sources;
  return sources.length === 1 ? blocks[sources[0]!] : undefined;
}

/** The most segments `connectionLines` can give for `blocks` with at most `maxN` connections per neuron. */
export function connectionCapacity(blocks: readonly NetworkBlock[], maxN: number): number {
  let total = 0;
  for (let b = 1; b < blocks.length; b++) {
    const src = singleSource(blocks, b);
    if (blocks[b]!.kind === "neurons" && src?.kind === "neurons") total += blocks[b]!.values.length * maxN;
  }
  return total;
}

/**
 * The `n` strongest incoming connections of every neuron whose layer takes
 * another neurons block (dense after dense, or after a flat input), as line
 * segments coloured by the sign and size of weight × input (scaled per layer).
 * Writes into `out` when given (sized by `connectionCapacity`).
 */
export function connectionLines(
  blocks: readonly NetworkBlock[],
  layout: NetworkLayout,
  weights: Inspection["weights"],
  n: number,
  out?: { positions: Float32Array; colors: Float32Array },
): ConnectionLines {
  const capacity = connectionCapacity(blocks, n);
  const positions = out?.positions ?? new Float32Array(capacity * 6);
  const colors = out?.colors ?? new Float32Array(capacity * 6);
  let e = 0;
  for (let b = 1; b < blocks.length; b++) {
    const src = singleSource(blocks, b);
    const dst = blocks[b]!;
    const w = weights[dst.layer];
    if (
      src === undefined ||
      src.kind !== "neurons" ||
      dst.kind !== "neurons" ||
      !w ||
      w.data.length !== src.values.length * dst.values.length
    )
      continue;
    const link = topIncoming(w.data, dst.values.length, src.values, n);
    const scale = maxAbs(link.strength);
    const s0 = layout.neuronStart[dst.sources[0]!]!;
    const d0 = layout.neuronStart[b]!;
    for (let i = 0; i < link.from.length; i++, e++) {
      const a = (s0 + link.from[i]!) * 3;
      const z = (d0 + link.to[i]!) * 3;
      positions.set(layout.neuronPositions.subarray(a, a + 3), e * 6);
      positions.set(layout.neuronPositions.subarray(z, z + 3), e * 6 + 3);
      divergingColor(link.strength[i]!, scale, colors, e * 6);
      colors.copyWithin(e * 6 + 3, e * 6, e * 6 + 3);
    }
  }
  return { positions, colors, count: e };
}

/** The class the output block predicts: its index, name and softmax probability. */
export function predictedClass(
  logits: Float32Array,
  classes: readonly string[],
): { index: number; name: string; probability: number } {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - logits[best]!);
  return { index: best, name: classes[best] ?? `class ${best}`, probability: 1 / sum };
}

/** Where a camera looks and how far back it stands. */
export interface CameraFit {
  target: Vec3;
  distance: number;
}

/**
 * Frames `points` (xyz triples) for a perspective camera looking along
 * `-direction` (a unit vector, world up +y): the target centres them on
 * screen, and the distance is the least that keeps every point in view with
 * `margin` to spare, so the network fills the panel whatever its shape.
 */
export function fitView(
  points: Float32Array,
  direction: Vec3,
  vfovDegrees: number,
  aspect: number,
  margin = 1.06,
): CameraFit {
  const back = direction;
  const right = normalize([back[2], 0, -back[0]]);
  const up: Vec3 = [
    back[1] * right[2] - back[2] * right[1],
    back[2] * right[0] - back[0] * right[2],
    back[0] * right[1] - back[1] * right[0],
  ];
  const dot = (a: Vec3, i: number) => a[0] * points[i]! + a[1] * points[i + 1]! + a[2] * points[i + 2]!;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 3) {
    [dot(right, i), dot(up, i), dot(back, i)].forEach((v, k) => {
      lo[k] = Math.min(lo[k]!, v);
      hi[k] = Math.max(hi[k]!, v);
    });
  }
  if (!(lo[0]! <= hi[0]!)) return { target: [0, 0, 0], distance: 1 };
  // Start from the middle of the points across, up and in depth, then re-centre for perspective
  // (near points look bigger): a few rounds of moving the target by the picture's off-centre.
  const mid = lo.map((v, k) => (v + hi[k]!) / 2);
  const tanV = Math.tan((vfovDegrees * Math.PI) / 360);
  const tanH = tanV * aspect;
  const fitDistance = () => {
    let d = 0;
    for (let i = 0; i < points.length; i += 3) {
      const toward = dot(back, i) - mid[2]!; // how much nearer the camera this point is than the target
      d = Math.max(d, toward + (Math.abs(dot(right, i) - mid[0]!) * margin) / tanH);
      d = Math.max(d, toward + (Math.abs(dot(up, i) - mid[1]!) * margin) / tanV);
    }
    return d;
  };
  for (let round = 0; round < 4; round++) {
    const distance = fitDistance();
    const screen = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < points.length; i += 3) {
      const depth = distance - (dot(back, i) - mid[2]!);
      const x = (dot(right, i) - mid[0]!) / depth;
      const y = (dot(up, i) - mid[1]!) / depth;
      screen[0] = Math.min(screen[0]!, x);
      screen[1] = Math.max(screen[1]!, x);
      screen[2] = Math.min(screen[2]!, y);
      screen[3] = Math.max(screen[3]!, y);
    }
    mid[0]! += ((screen[0]! + screen[1]!) / 2) * distance;
    mid[1]! += ((screen[2]! + screen[3]!) / 2) * distance;
  }
  const target = [0, 1, 2].map((k) => right[k]! * mid[0]! + up[k]! * mid[1]! + back[k]! * mid[2]!) as Vec3;
  return { target, distance: fitDistance() };
}

/** The points that outline the layout: every neuron, the four corners of every plane, and where labels reach. */
export function outlinePoints(layout: NetworkLayout): Float32Array {
  const out = new Float32Array(
    layout.neuronPositions.length + layout.planes.length * 12 + layout.labelReach.length * 3,
  );
  out.set(layout.neuronPositions);
  let at = layout.neuronPositions.length;
  for (const p of layout.labelReach) {
    out.set(p, at);
    at += 3;
  }
  for (const p of layout.planes) {
    for (const [dx, dy] of [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ] as const) {
      out.set([p.center[0] + (dx * p.size) / 2, p.center[1] + (dy * p.size) / 2, p.center[2]], at);
      at += 3;
    }
  }
  return out;
}

function normalize(v: Vec3): Vec3 {
  const len = Math.hypot(...v) || 1;
  return [v[0] / len, v[1] / len, v[2] / len];
}
